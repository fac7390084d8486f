// CSV reader (RFC 4180): the first record is the header; fields separated by commas, optionally
// quoted with `"`, a quote inside a quoted field doubled (`""`), line breaks inside quoted fields
// allowed (a CRLF inside a field is read as "\n"). Blank lines between records are skipped.
// `columns` renames header columns to record fields (field → column); other columns keep their names.
import { type Line, UserError } from '@ftune/common';
import { type JsonObject, type RecordError, recordError } from '../records/record';
import {
  INVALID_UTF8,
  isBlank,
  type ReaderLimits,
  type RecordParser,
  type SourceRecord,
  stripBom,
  tooLarge,
} from './source-record';

export interface CsvOptions extends ReaderLimits {
  /** Record field → CSV column name, e.g. `{ prompt: 'question', completion: 'answer' }`. */
  columns?: Record<string, string>;
}

/** Parser state carried across the physical lines of one record. */
interface CsvState {
  fields: string[];
  field: string;
  inQuotes: boolean;
  error?: string;
}

/** Parses one physical line into `s`; returns true when the record continues on the next line. */
function parseLine(text: string, s: CsvState): boolean {
  let i = 0;
  const n = text.length;
  while (i <= n) {
    if (s.inQuotes) {
      const q = text.indexOf('"', i);
      if (q === -1) {
        s.field += text.slice(i) + '\n';
        return true;
      }
      s.field += text.slice(i, q);
      if (text.charCodeAt(q + 1) === 0x22) {
        s.field += '"';
        i = q + 2;
        continue;
      }
      s.inQuotes = false;
      i = q + 1;
      if (i < n && text.charCodeAt(i) !== 0x2c) {
        s.error ??= `unexpected text after a closing quote in column ${s.fields.length + 1}`;
        const comma = text.indexOf(',', i);
        s.field += text.slice(i, comma === -1 ? n : comma);
        i = comma === -1 ? n : comma;
      }
    } else if (text.charCodeAt(i) === 0x22 && s.field === '') {
      s.inQuotes = true;
      i += 1;
      continue;
    }
    // unquoted part up to the next comma
    const comma = text.indexOf(',', i);
    const end = comma === -1 ? n : comma;
    const part = text.slice(i, end);
    if (part.includes('"')) s.error ??= `stray quote in unquoted column ${s.fields.length + 1}`;
    s.fields.push(s.field + part);
    s.field = '';
    if (comma === -1) return false;
    i = comma + 1;
  }
  return false;
}

function renameHeader(header: string[], columns: Record<string, string> = {}): string[] {
  const byColumn = new Map(Object.entries(columns).map(([field, column]) => [column, field]));
  for (const column of byColumn.keys()) {
    if (!header.includes(column))
      throw new UserError(`CSV has no column "${column}" (header: ${header.join(', ')})`);
  }
  return header.map((h) => byColumn.get(h) ?? h);
}

export class CsvParser implements RecordParser {
  private header: string[] | undefined;
  private state: CsvState = { fields: [], field: '', inQuotes: false };
  private start = 0;
  private bytes = 0;
  private rawParts: string[] = [];
  private invalid = false;
  private open = false; // inside a record that continues on the next line

  constructor(private readonly options: CsvOptions) {}

  push(l: Line): SourceRecord | undefined {
    const text = stripBom(l.text, l.number);
    if (!this.open && isBlank(text) && !l.invalidUtf8) return undefined;
    if (!this.open) this.start = l.number;
    this.bytes += l.byteLength + (this.open ? 1 : 0);
    if (l.invalidUtf8) this.invalid = true;
    if (this.bytes <= this.options.maxRecordBytes) this.rawParts.push(text);
    if (l.truncated) this.state.error ??= 'line over the size limit';
    this.open = parseLine(l.truncated ? '' : text, this.state);
    return this.open ? undefined : this.finish();
  }

  end(): SourceRecord | undefined {
    if (!this.open) return undefined;
    this.state.fields.push(this.state.field);
    return this.finish();
  }

  private finish(): SourceRecord | undefined {
    const { state, start: line, options } = this;
    const raw = this.rawParts.join('\n');
    let error: RecordError | undefined;
    if (this.invalid) error = INVALID_UTF8;
    else if (this.bytes > options.maxRecordBytes) error = tooLarge(this.bytes, options.maxRecordBytes);
    else if (state.inQuotes) error = recordError('malformed-csv', 'unterminated quoted field at end of file');
    else if (state.error !== undefined) error = recordError('malformed-csv', state.error);
    this.state = { fields: [], field: '', inQuotes: false };
    this.rawParts = [];
    this.bytes = 0;
    this.invalid = false;
    const fields = state.fields;
    if (this.header === undefined) {
      if (error !== undefined) throw new UserError(`CSV header on line ${line}: ${error.message}`);
      this.header = renameHeader(
        fields.map((f) => f.trim()),
        options.columns,
      );
      return undefined;
    }
    if (error === undefined && fields.length !== this.header.length) {
      error = recordError(
        'malformed-csv',
        `has ${fields.length} fields, the header has ${this.header.length}`,
      );
    }
    if (error !== undefined) return { line, raw, error, rawIsJson: false };
    const value: JsonObject = {};
    this.header.forEach((h, k) => (value[h] = fields[k]));
    return { line, raw, value, rawIsJson: false };
  }
}
