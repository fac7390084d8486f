// Record styles accepted by ingestion and the per-record errors that reject a record.
// A record is a plain JSON object; its style says which fields carry the content.

/** JSON object as read from a file (fields other than the content fields are kept untouched). */
export type JsonObject = { [key: string]: unknown };

/**
 * - `prompt-completion`: `{"prompt": "...", "completion": "..."}`
 * - `chat`: `{"messages": [{"role": "system" | "user" | "assistant", "content": "..."}]}`
 * - `input-output`: `{"input": "...", "output": "..."}`, or `{"input": "...", "label": ...}` (classification)
 * - `text`: `{"text": "..."}` (plain language modelling)
 */
export type RecordStyle = 'prompt-completion' | 'chat' | 'input-output' | 'text';
export const RECORD_STYLES: readonly RecordStyle[] = ['prompt-completion', 'chat', 'input-output', 'text'];

export type ChatRole = 'system' | 'user' | 'assistant';
export const CHAT_ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** Why a record was rejected (the `reason` of a rejected.jsonl line and the manifest's counts). */
export type RejectReason =
  | 'invalid-utf8'
  | 'too-large'
  | 'not-json'
  | 'not-object'
  | 'malformed-csv'
  | 'missing-field'
  | 'empty-field'
  | 'wrong-type'
  | 'unknown-role'
  | 'no-assistant-turn'
  | 'duplicate';

export interface RecordError {
  reason: RejectReason;
  message: string;
}

export function recordError(reason: RejectReason, message: string): RecordError {
  return { reason, message };
}

/** Reasons whose message can quote the record itself (a JSON parser's message, a role's value). */
const QUOTING_REASONS: Partial<Record<RejectReason, string>> = {
  'not-json': 'not JSON',
  'unknown-role': `a chat message has a role other than ${CHAT_ROLES.join(', ')}`,
};

/**
 * The error's message without anything quoted from the record: the other reasons' messages name
 * only fields, types, sizes and positions. For errors sent to a caller who may not own the file.
 */
export function messageWithoutContent(e: RecordError): string {
  return QUOTING_REASONS[e.reason] ?? e.message;
}

export function isRecordError(x: unknown): x is RecordError {
  return typeof x === 'object' && x !== null && 'reason' in x && 'message' in x;
}

/** The style of an object, from the fields it has (`messages` > `prompt`/`completion` > `input` > `text`). */
export function detectStyle(value: JsonObject): RecordStyle | undefined {
  if ('messages' in value) return 'chat';
  if ('prompt' in value || 'completion' in value) return 'prompt-completion';
  if ('input' in value || 'output' in value) return 'input-output';
  if ('text' in value) return 'text';
  return undefined;
}

export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
