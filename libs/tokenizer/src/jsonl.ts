// JSONL ⇄ token ids, one chunk of whole lines at a time: {"text": ...} → {"input_ids": [...]} and
// {"input_ids": [...]} → {"text": ...}. Pure string work, so the same code runs on the main thread and
// in worker threads. Blank lines are not records and produce no output.
import type { Side, Tokenizer } from './types';

export interface TokenizeLinesOptions {
  /** Also write "offsets" ([start, end] in UTF-16 units of the text). */
  offsets?: boolean;
  truncation?: { maxLength: number; side?: Side };
  /** Pad every line to `maxLength` and/or a multiple of `padToMultipleOf`; writes "attention_mask". */
  padding?: { maxLength?: number; padToMultipleOf?: number; padTokenId: number; side?: Side };
  /** Count bad lines instead of stopping at the first. */
  skipInvalid?: boolean;
}

export interface DetokenizeLinesOptions {
  skipSpecialTokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
  skipInvalid?: boolean;
}

export interface LinesResult {
  /** Output JSONL, one line per record. */
  output: string;
  /** Input lines consumed (including blank and skipped ones). */
  lines: number;
  skipped: number;
  /** The first bad line (1-based, absolute) when not skipping invalid lines; output stops before it. */
  error?: { line: number; message: string };
}

type LineMapper = (line: string) => string;

function mapLines(chunk: string, firstLine: number, skipInvalid: boolean, map: LineMapper): LinesResult {
  let output = '';
  let skipped = 0;
  let lines = 0;
  let start = 0;
  while (start < chunk.length) {
    let end = chunk.indexOf('\n', start);
    if (end < 0) end = chunk.length;
    const line = chunk.charCodeAt(end - 1) === 13 ? chunk.slice(start, end - 1) : chunk.slice(start, end);
    start = end + 1;
    lines++;
    if (line.trim() === '') continue;
    try {
      output += map(line);
    } catch (e) {
      const message =
        e instanceof LineError ? e.message : `not valid JSON (${e instanceof Error ? e.message : String(e)})`;
      if (!skipInvalid)
        return { output, lines: lines - 1, skipped, error: { line: firstLine + lines - 1, message } };
      skipped++;
    }
  }
  return { output, lines, skipped };
}

class LineError extends Error {}

function textOf(line: string): string {
  const record = JSON.parse(line) as { text?: unknown } | null;
  const text = record !== null && typeof record === 'object' ? record.text : undefined;
  if (typeof text !== 'string') throw new LineError('expected an object with a string "text" field');
  return text;
}

function roundUp(n: number, m: number | undefined): number {
  return m && n % m !== 0 ? (Math.floor(n / m) + 1) * m : n;
}

/** Tokenizes a chunk of JSONL lines (`firstLine` = the 1-based number of its first line). */
export function tokenizeLines(
  tokenizer: Tokenizer,
  chunk: string,
  firstLine: number,
  options: TokenizeLinesOptions = {},
): LinesResult {
  if (!options.offsets && !options.truncation && !options.padding) {
    return mapLines(chunk, firstLine, options.skipInvalid ?? false, (line) => {
      return `{"input_ids":[${tokenizer.encodeIds(textOf(line)).join(',')}]}\n`;
    });
  }
  return mapLines(chunk, firstLine, options.skipInvalid ?? false, (line) => {
    const enc = tokenizer.encode(textOf(line), { truncation: options.truncation });
    let ids = enc.inputIds;
    let mask = enc.attentionMask;
    let offsets = enc.offsets;
    const pad = options.padding;
    if (pad) {
      const k = roundUp(Math.max(ids.length, pad.maxLength ?? 0), pad.padToMultipleOf) - ids.length;
      const padIds = new Array<number>(k).fill(pad.padTokenId);
      const zeros = new Array<number>(k).fill(0);
      const none = Array.from({ length: k }, (): [number, number] => [0, 0]);
      const left = pad.side === 'left';
      ids = left ? [...padIds, ...ids] : [...ids, ...padIds];
      mask = left ? [...zeros, ...mask] : [...mask, ...zeros];
      offsets = left ? [...none, ...offsets] : [...offsets, ...none];
    }
    let out = `{"input_ids":[${ids.join(',')}]`;
    if (pad) out += `,"attention_mask":[${mask.join(',')}]`;
    if (options.offsets) out += `,"offsets":${JSON.stringify(offsets)}`;
    return out + '}\n';
  });
}

/** Decodes a chunk of {"input_ids": [...]} lines into {"text": ...} lines. */
export function detokenizeLines(
  tokenizer: Tokenizer,
  chunk: string,
  firstLine: number,
  options: DetokenizeLinesOptions = {},
): LinesResult {
  return mapLines(chunk, firstLine, options.skipInvalid ?? false, (line) => {
    const record = JSON.parse(line) as { input_ids?: unknown } | null;
    const ids = record !== null && typeof record === 'object' ? record.input_ids : undefined;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0)) {
      throw new LineError('expected an object with an "input_ids" array of non-negative integers');
    }
    const text = tokenizer.decode(ids as number[], {
      skipSpecialTokens: options.skipSpecialTokens,
      cleanUpTokenizationSpaces: options.cleanUpTokenizationSpaces,
    });
    return `{"text":${JSON.stringify(text)}}\n`;
  });
}
