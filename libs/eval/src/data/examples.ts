// Turns test-split records into evaluation examples (prompt, reference completion, optional label),
// detects classification-style data, and picks the candidate label set and the majority label.
// Record shapes are the dataset formats ftune ingests: prompt/completion, input/output/label, chat
// messages (the last assistant turn is the completion) and plain text (no prompt).

export interface EvalExample {
  /** The text the model is conditioned on. */
  prompt: string;
  /** The reference completion. */
  completion: string;
  /** 1-based line of the record in its split file, for the report. */
  line?: number;
}

export type Task = 'classification' | 'generation';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface ChatMessage {
  role: string;
  content: string;
}

/** How chat turns before the answer become a prompt: "<Role>: <content>" lines, then "Assistant:". */
export function formatChatPrompt(messages: readonly ChatMessage[]): string {
  const title = (role: string): string => role.charAt(0).toUpperCase() + role.slice(1);
  return messages.map((m) => `${title(m.role)}: ${m.content}\n`).join('') + 'Assistant:';
}

function str(record: Record<string, Json>, key: string): string | undefined {
  const v = record[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * One evaluation example from a dataset record; throws an Error naming the fields it found when
 * the record has none of the known shapes.
 */
export function recordToExample(record: Record<string, Json>, line?: number): EvalExample {
  const prompt = str(record, 'prompt');
  const completion = str(record, 'completion');
  if (prompt !== undefined && completion !== undefined) return { prompt, completion, line };
  const input = str(record, 'input');
  const label = record['label'];
  const output = str(record, 'output') ?? (typeof label === 'number' || typeof label === 'boolean' ? String(label) : str(record, 'label'));
  if (input !== undefined && output !== undefined) return { prompt: input, completion: output, line };
  const messages = record['messages'];
  if (Array.isArray(messages)) {
    const turns = messages.filter(
      (m): m is { role: string; content: string } =>
        typeof m === 'object' && m !== null && !Array.isArray(m) && typeof m['role'] === 'string' && typeof m['content'] === 'string',
    );
    let last = -1;
    turns.forEach((t, i) => {
      if (t.role === 'assistant') last = i;
    });
    if (last >= 0) return { prompt: formatChatPrompt(turns.slice(0, last)), completion: turns[last].content, line };
  }
  const text = str(record, 'text');
  if (text !== undefined) return { prompt: '', completion: text, line };
  throw new Error(
    `record has no prompt/completion, input/output, messages or text field (fields: ${Object.keys(record).join(', ') || 'none'})`,
  );
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
  return distinct >= 2 && distinct <= maxLabels && distinct * 2 <= examples.length ? 'classification' : 'generation';
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
