// Opens an input file as a stream of SourceRecords, choosing the reader from `--format`
// (or from the file extension for `auto`: .csv → CSV, .txt/.text/.md → plain text, otherwise JSONL).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Line, readLines, UserError } from '@ftune/common';
import { RECORD_STYLES, type RecordStyle } from '../records/record';
import { CsvParser, type CsvOptions } from './csv';
import { JsonlParser } from './jsonl';
import type { RecordParser, SourceRecord } from './source-record';
import { TextBlockParser } from './text';

/** `--format`: a container (`jsonl`, `csv`, `txt`), a JSONL record style, or `auto`. */
export type InputFormat = 'auto' | 'jsonl' | 'csv' | 'txt' | RecordStyle;
export const INPUT_FORMATS: readonly InputFormat[] = ['auto', 'jsonl', 'csv', 'txt', ...RECORD_STYLES];

export type Container = 'jsonl' | 'csv' | 'txt';

export interface ResolvedFormat {
  container: Container;
  /** The record style when `--format` named one (otherwise detected from the first record). */
  style?: RecordStyle;
}

export function resolveFormat(format: string, file: string): ResolvedFormat {
  if (!(INPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UserError(`--format must be one of ${INPUT_FORMATS.join(', ')}, got "${format}"`);
  }
  if (format === 'auto') {
    const ext = path.extname(file).toLowerCase();
    if (ext === '.csv') return { container: 'csv' };
    if (ext === '.txt' || ext === '.text' || ext === '.md') return { container: 'txt', style: 'text' };
    return { container: 'jsonl' };
  }
  if (format === 'csv' || format === 'jsonl') return { container: format };
  if (format === 'txt') return { container: 'txt', style: 'text' };
  return { container: 'jsonl', style: format as RecordStyle };
}

export interface OpenOptions {
  maxRecordBytes: number;
  columns?: Record<string, string>;
  /** Called with the number of bytes of each chunk read. */
  onBytes?: (n: number) => void;
}

/**
 * Bytes of `file`, 1 MiB at a time, into one reused buffer (each chunk is only valid until the next
 * is requested — readLines copies what it keeps). Fresh chunks per read would leave tens of MiB of
 * dead buffers waiting for the garbage collector.
 */
export async function* fileChunks(file: string, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      onBytes?.(bytesRead);
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** The lines of `file` as the readers want them: strict UTF-8, cut at the record size limit. */
export function fileLines(
  file: string,
  maxRecordBytes: number,
  onBytes?: (n: number) => void,
): AsyncGenerator<Line> {
  return readLines(fileChunks(file, onBytes), { strictUtf8: true, maxLineBytes: maxRecordBytes });
}

/** A fresh parser for `container`. */
export function createParser(container: Container, options: CsvOptions): RecordParser {
  if (container === 'csv') return new CsvParser(options);
  if (container === 'txt') return new TextBlockParser(options);
  return new JsonlParser(options);
}

/** The records of `file` read with the reader for `container`. */
export async function* openRecords(
  file: string,
  container: Container,
  options: OpenOptions,
): AsyncGenerator<SourceRecord> {
  const parser = createParser(container, {
    maxRecordBytes: options.maxRecordBytes,
    columns: options.columns,
  });
  for await (const line of fileLines(file, options.maxRecordBytes, options.onBytes)) {
    const rec = parser.push(line);
    if (rec !== undefined) yield rec;
  }
  const last = parser.end();
  if (last !== undefined) yield last;
}
