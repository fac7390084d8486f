// Turns an ingested record into the one training text the model sees, through a small template:
// - prompt/completion (and input/output): `{prompt}\n### Answer: {completion}`
// - chat: one line per turn, `### System: …`, `### User: …`, `### Assistant: …`, joined by "\n"
// - text: the text as it is.
// The response template ("### Answer:" / "### Assistant:") is returned with the text so a
// completion-only collator (trl DataCollatorForCompletionOnlyLM semantics) trains only on what follows
// it; "### Answer:" tokenizes the same with GPT-2 standalone and after "\n" ([21017, 23998, 25]).
// No EOS is appended here: adding it is the collator's job.
import { detectStyle, type JsonObject, type RecordStyle } from '../records/record';

export interface TextTemplate {
  /** Between the prompt and the response template. Default "\n". */
  promptSeparator: string;
  /** Marks the start of the response in single-turn records. Default "### Answer:". */
  responseTemplate: string;
  /** Chat role tags; a turn is `{tag} {content}`. */
  roleTags: { system: string; user: string; assistant: string };
  /** Between chat turns. Default "\n". */
  turnSeparator: string;
}

export const DEFAULT_TEMPLATE: TextTemplate = {
  promptSeparator: '\n',
  responseTemplate: '### Answer:',
  roleTags: { system: '### System:', user: '### User:', assistant: '### Assistant:' },
  turnSeparator: '\n',
};

export interface TrainingText {
  text: string;
  /** What precedes each trained response (null for plain text: train on everything). */
  responseTemplate: string | null;
  /** What starts each user turn in chat (for multi-turn completion-only masking); null otherwise. */
  instructionTemplate: string | null;
  /** Character offset in `text` where the (last) response starts; 0 for plain text. */
  responseStart: number;
}

/** `tag` then `content`, with one space between unless the content starts with whitespace. */
function tagged(tag: string, content: string): string {
  return content.length > 0 && /^\s/.test(content) ? tag + content : `${tag} ${content}`;
}

/** A field's value as text ('' when absent). */
export function asString(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** The training text of `record` (style detected from its fields unless given). */
export function recordToText(
  record: JsonObject,
  template: TextTemplate = DEFAULT_TEMPLATE,
  style?: RecordStyle,
): TrainingText {
  const s = style ?? detectStyle(record) ?? 'text';
  if (s === 'chat') {
    const messages = Array.isArray(record.messages) ? (record.messages as JsonObject[]) : [];
    let text = '';
    let responseStart = 0;
    messages.forEach((m, i) => {
      const role = asString(m.role) as keyof TextTemplate['roleTags'];
      const tag = template.roleTags[role] ?? `### ${role}:`;
      if (i > 0) text += template.turnSeparator;
      const turn = tagged(tag, asString(m.content));
      if (role === 'assistant') responseStart = text.length + tag.length;
      text += turn;
    });
    return {
      text,
      responseTemplate: template.roleTags.assistant,
      instructionTemplate: template.roleTags.user,
      responseStart,
    };
  }
  if (s === 'text')
    return {
      text: asString(record.text),
      responseTemplate: null,
      instructionTemplate: null,
      responseStart: 0,
    };
  const prompt = s === 'prompt-completion' ? asString(record.prompt) : asString(record.input);
  const completion =
    s === 'prompt-completion'
      ? asString(record.completion)
      : asString(record.output !== undefined ? record.output : record.label);
  const head = prompt + template.promptSeparator;
  return {
    text: head + tagged(template.responseTemplate, completion),
    responseTemplate: template.responseTemplate,
    instructionTemplate: null,
    responseStart: head.length + template.responseTemplate.length,
  };
}
