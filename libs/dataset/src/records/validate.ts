// Validation of one record against its style: required fields present, of the right type and not
// empty after trimming; chat roles known and at least one assistant turn. Returns the record's
// content fields (what deduplication hashes) and its label candidate (what stratification uses).
import {
  CHAT_ROLES,
  type ChatRole,
  describeType,
  type JsonObject,
  type RecordError,
  recordError,
  type RecordStyle,
} from './record';

export interface ValidRecord {
  /** The content that identifies the record, in a fixed order (chat: role, content, role, content, …). */
  content: string[];
  /** Label for stratification: `--label-field`'s value, else the completion/label of classification-style data. */
  label?: string;
  /** True when `label` came from `--label-field` (always stratify), false when it is only a candidate. */
  explicitLabel: boolean;
}

function requiredString(value: JsonObject, field: string): string | RecordError {
  if (!(field in value) || value[field] === undefined)
    return recordError('missing-field', `missing required field "${field}"`);
  const v = value[field];
  if (typeof v !== 'string')
    return recordError('wrong-type', `field "${field}" must be a string, got ${describeType(v)}`);
  if (v.trim() === '') return recordError('empty-field', `field "${field}" is empty`);
  return v;
}

function labelValue(value: JsonObject, field: string): string | RecordError {
  if (!(field in value) || value[field] === undefined || value[field] === null) {
    return recordError('missing-field', `missing required field "${field}"`);
  }
  const v = value[field];
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    return recordError(
      'wrong-type',
      `field "${field}" must be a string, number or boolean, got ${describeType(v)}`,
    );
  }
  const s = String(v);
  if (s.trim() === '') return recordError('empty-field', `field "${field}" is empty`);
  return s;
}

function chatContent(value: JsonObject): string[] | RecordError {
  const messages = value.messages;
  if (messages === undefined) return recordError('missing-field', 'missing required field "messages"');
  if (!Array.isArray(messages))
    return recordError('wrong-type', `field "messages" must be an array, got ${describeType(messages)}`);
  if (messages.length === 0) return recordError('empty-field', 'field "messages" is empty');
  const content: string[] = [];
  let assistant = false;
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    const at = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      return recordError('wrong-type', `${at} must be an object, got ${describeType(m)}`);
    const msg = m as JsonObject;
    const role = requiredString(msg, 'role');
    if (typeof role !== 'string') return { ...role, message: `${at}: ${role.message}` };
    if (!CHAT_ROLES.includes(role as ChatRole)) {
      return recordError('unknown-role', `${at}.role "${role}" is not one of ${CHAT_ROLES.join(', ')}`);
    }
    const text = requiredString(msg, 'content');
    if (typeof text !== 'string') return { ...text, message: `${at}: ${text.message}` };
    if (role === 'assistant') assistant = true;
    content.push(role, text);
  }
  if (!assistant) return recordError('no-assistant-turn', 'chat has no assistant turn');
  return content;
}

/** Checks `value` as a record of `style`; `labelField` (from `--label-field`) becomes a required field. */
export function validateRecord(
  value: JsonObject,
  style: RecordStyle,
  labelField?: string,
): ValidRecord | RecordError {
  let content: string[];
  let candidate: string | undefined;
  if (style === 'chat') {
    const c = chatContent(value);
    if (!Array.isArray(c)) return c;
    content = c;
  } else if (style === 'prompt-completion') {
    const prompt = requiredString(value, 'prompt');
    if (typeof prompt !== 'string') return prompt;
    const completion = requiredString(value, 'completion');
    if (typeof completion !== 'string') return completion;
    content = [prompt, completion];
    candidate = completion;
  } else if (style === 'input-output') {
    const input = requiredString(value, 'input');
    if (typeof input !== 'string') return input;
    const hasOutput = 'output' in value || !('label' in value);
    const output = hasOutput ? requiredString(value, 'output') : '';
    if (typeof output !== 'string') return output;
    const label = 'label' in value ? labelValue(value, 'label') : undefined;
    if (typeof label === 'object') return label;
    content = [input, output, label ?? ''];
    candidate = label ?? output;
  } else {
    const text = requiredString(value, 'text');
    if (typeof text !== 'string') return text;
    content = [text];
  }
  if (labelField !== undefined) {
    const label = labelValue(value, labelField);
    if (typeof label !== 'string') return label;
    return { content, label, explicitLabel: true };
  }
  return candidate === undefined
    ? { content, explicitLabel: false }
    : { content, label: candidate, explicitLabel: false };
}
