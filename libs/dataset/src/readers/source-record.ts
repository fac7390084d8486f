// What every reader yields: one record of the input with the line it starts on, its raw text, and
// either its parsed value or the error that rejects it. Readers never drop a record silently.
import type { Line } from '@ftune/common';
import type { JsonObject, RecordError } from '../records/record';
import { recordError } from '../records/record';

export interface SourceRecord {
  /** 1-based line where the record starts. */
  line: number;
  /** The record's text as read (cut to the size limit for an oversized record). */
  raw: string;
  /** The raw bytes when the record is not valid UTF-8. */
  rawBytes?: Uint8Array;
  /** Parsed value (absent when `error` is set). */
  value?: JsonObject;
  /** Reader-level error: invalid UTF-8, too large, not JSON, malformed CSV, … */
  error?: RecordError;
  /** True when `raw` is the record exactly as it should be written out (JSONL lines). */
  rawIsJson: boolean;
}

export interface ReaderLimits {
  /** Records larger than this many bytes are rejected (`--max-record-bytes`). */
  maxRecordBytes: number;
}

export function tooLarge(bytes: number, limit: number): RecordError {
  return recordError(
    'too-large',
    `record is ${bytes} bytes, over --max-record-bytes ${limit} (raw cut to the limit)`,
  );
}

export const INVALID_UTF8 = recordError('invalid-utf8', 'invalid UTF-8');

/** Removes a UTF-8 byte order mark at the start of the first line. */
export function stripBom(text: string, lineNumber: number): string {
  return lineNumber === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** True for lines that hold only whitespace. */
export function isBlank(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}

/** A reader fed one line at a time; returns a record when one is complete. */
export interface RecordParser {
  push(line: Line): SourceRecord | undefined;
  /** End of input: the last record still open, if any. */
  end(): SourceRecord | undefined;
}
