// Plain-text reader: one record per block of non-blank lines; blocks are separated by one or more
// blank (or whitespace-only) lines. A record becomes `{"text": <the block's lines joined by "\n">}`.
import type { Line } from '@ftune/common';
import {
  INVALID_UTF8,
  isBlank,
  type ReaderLimits,
  type RecordParser,
  type SourceRecord,
  stripBom,
  tooLarge,
} from './source-record';

export class TextBlockParser implements RecordParser {
  private parts: string[] = [];
  private start = 0;
  private bytes = 0;
  private invalid: Buffer[] | undefined;

  constructor(private readonly limits: ReaderLimits) {}

  push(l: Line): SourceRecord | undefined {
    const text = stripBom(l.text, l.number);
    if (isBlank(text) && !l.invalidUtf8) return this.parts.length > 0 ? this.finish() : undefined;
    if (this.parts.length === 0) this.start = l.number;
    const sep = this.parts.length > 0 ? 1 : 0;
    const fits = this.bytes + sep + l.byteLength <= this.limits.maxRecordBytes;
    this.bytes += sep + l.byteLength;
    if (fits || this.parts.length === 0) this.parts.push(text); // past the limit only the size is counted
    if (l.invalidUtf8 && this.invalid === undefined)
      this.invalid = this.parts.slice(0, -1).map((p) => Buffer.from(p + '\n', 'utf8'));
    if (this.invalid !== undefined && fits)
      this.invalid.push(Buffer.from(l.bytes ?? Buffer.from(text, 'utf8')), Buffer.from('\n'));
    return undefined;
  }

  end(): SourceRecord | undefined {
    return this.parts.length > 0 ? this.finish() : undefined;
  }

  private finish(): SourceRecord {
    const raw = this.parts.join('\n');
    const { start: line, bytes, invalid } = this;
    const max = this.limits.maxRecordBytes;
    this.parts = [];
    this.bytes = 0;
    this.invalid = undefined;
    if (invalid !== undefined)
      return {
        line,
        raw,
        rawBytes: Buffer.concat(invalid).subarray(0, -1),
        error: INVALID_UTF8,
        rawIsJson: false,
      };
    if (bytes > max) return { line, raw, error: tooLarge(bytes, max), rawIsJson: false };
    return { line, raw, value: { text: raw }, rawIsJson: false };
  }
}
