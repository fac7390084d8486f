// Turns test-split records into evaluation examples (prompt, reference completion), detects
// classification-style data, and picks the candidate label set and the majority label.
import { asString, recordToMessages, recordToText, type ChatTemplate, type JsonObject } from '@ftune/dataset';

export interface EvalExample {
  /** The text the model is conditioned on. */
  prompt: string;
  /** The reference completion. */
  completion: string;
  /** 1-based line of the record in its split file, for the report. */
  line?: number;
}

export type Task = 'classification' | 'generation';

/**
 * One evaluation example from a dataset record, through the same template as training
 * (@ftune/dataset recordToText): the prompt is the training text up to the end of the response
 * template, the completion what follows it. With `responseTemplate`, the split is after the last
 * occurrence of that text instead (the completion-only collator's last-match rule); a text without
 * it is all completion. Chat records: the completion is the last assistant turn.
 */
export function recordToExample(record: JsonObject, line?: number, responseTemplate?: string): EvalExample {
  const t = recordToText(record);
  let at = t.responseStart;
  if (responseTemplate) {
    const i = t.text.lastIndexOf(responseTemplate);
    at = i === -1 ? 0 : i + responseTemplate.length;
  }
  return { prompt: t.text.slice(0, at), completion: t.text.slice(at), line };
}

/**
 * One evaluation example under a chat template (docs/datasets.md#chat-templates), split where training
 * put the loss: the prompt is the conversation up to the last assistant turn with the generation prompt,
 * the completion that turn less the template's end-of-sequence token (generation stops at it and does
 * not print it). Plain text records are all completion.
 */
export function chatRecordToExample(
  record: JsonObject,
  chat: ChatTemplate,
  eosToken?: string,
  line?: number,
): EvalExample {
  const messages = recordToMessages(record);
  if (!messages) return { prompt: '', completion: asString(record.text), line };
  const { text, spans } = chat.renderForTraining(messages);
  const last = spans[spans.length - 1];
  if (!last) return { prompt: text, completion: '', line };
  let completion = text.slice(last[0], last[1]);
  if (eosToken && completion.endsWith(eosToken)) completion = completion.slice(0, -eosToken.length);
  return { prompt: text.slice(0, last[0]), completion, line };
}

/** Distinct completions of a split in a stable order (by trimmed text, then raw). */
export function distinctCompletions(examples: readonly EvalExample[]): string[] {
  const set = new Set(examples.map((e) => e.completion));
  return [...set].sort((a, b) => a.trim().localeCompare(b.trim()) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Classification-style when the completions are drawn from a small set: at most `maxLabels` distinct
 * values, at least 2 of them, and on average each repeated (distinct ≤ half the examples).
 */
export function detectTask(examples: readonly EvalExample[], maxLabels = 20): Task {
  const distinct = new Set(examples.map((e) => e.completion)).size;
  return distinct >= 2 && distinct <= maxLabels && distinct * 2 <= examples.length
    ? 'classification'
    : 'generation';
}

/** The most frequent label (ties: the first in `labels` order). */
export function majorityLabel(gold: readonly string[], labels: readonly string[]): string {
  if (labels.length === 0) throw new Error('majorityLabel: empty label set');
  const counts = new Map<string, number>();
  for (const g of gold) counts.set(g, (counts.get(g) ?? 0) + 1);
  let best = labels[0];
  for (const l of labels) if ((counts.get(l) ?? 0) > (counts.get(best) ?? 0)) best = l;
  return best;
}
