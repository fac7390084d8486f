// JSON Lines reader: one record per non-blank line; blank lines are skipped, a BOM on line 1 is removed.
// A line that is not JSON, or JSON that is not an object, is yielded with its error.
import type { Line } from '@ftune/common';
import { describeType, type JsonObject, recordError } from '../records/record';
import {
  INVALID_UTF8,
  isBlank,
  type ReaderLimits,
  type RecordParser,
  type SourceRecord,
  stripBom,
  tooLarge,
} from './source-record';

export class JsonlParser implements RecordParser {
  constructor(private readonly limits: ReaderLimits) {}

  push(l: Line): SourceRecord | undefined {
    const text = l.number === 1 ? stripBom(l.text, 1) : l.text;
    const line = l.number;
    if (l.invalidUtf8) return { line, raw: text, rawBytes: l.bytes, error: INVALID_UTF8, rawIsJson: false };
    if (isBlank(text)) return undefined;
    if (l.truncated || l.byteLength > this.limits.maxRecordBytes) {
      return { line, raw: text, error: tooLarge(l.byteLength, this.limits.maxRecordBytes), rawIsJson: false };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return {
        line,
        raw: text,
        error: recordError('not-json', `not JSON: ${(e as Error).message}`),
        rawIsJson: false,
      };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return {
        line,
        raw: text,
        error: recordError('not-object', `not an object: ${describeType(value)}`),
        rawIsJson: false,
      };
    }
    return { line, raw: text, value: value as JsonObject, rawIsJson: true };
  }

  end(): undefined {
    return undefined;
  }
}
