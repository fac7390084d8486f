// Ingestion, end to end: read → validate → deduplicate → assign splits → write, in two streaming
// passes. Pass 1 reads the input once, rejects what is wrong (rejected.jsonl) and spools accepted
// records with their split position; pass 2 cuts each stratum by quota (split/split.ts) and
// distributes the spool into train/validation/test.jsonl. Memory: the seen-hash table and one
// 8-byte position per accepted record, no record text.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { UserError } from '@ftune/common';
import { contentHashes } from '../dedup/hash';
import { SeenTable } from '../dedup/seen-table';
import { detectStyle, type RecordStyle, type RejectReason, recordError } from '../records/record';
import { validateRecord } from '../records/validate';
import { createParser, fileLines, resolveFormat } from '../readers/open';
import type { SourceRecord } from '../readers/source-record';
import {
  assignSplit,
  type Cut,
  cutPositions,
  DEFAULT_SPLIT,
  SPLIT_NAMES,
  type SplitName,
  type SplitRatios,
  splitPosition,
  tieOffsetOf,
} from '../split/split';
import { Strata } from '../split/strata';
import { TokenLengthStats } from '../stats/token-stats';
import { DEFAULT_TEMPLATE, recordToText, type TextTemplate } from '../template/text-template';
import { labelWarnings, type Manifest, type SplitSummary } from './manifest';
import { LineSink } from './sink';
import { readSpool, SpoolWriter } from './spool';

export interface IngestProgress {
  phase: 'read' | 'split';
  bytesRead: number;
  totalBytes: number;
  records: number;
}

export interface IngestOptions {
  /** Output folder (created if needed). */
  out: string;
  format?: string;
  split?: SplitRatios;
  seed?: number;
  labelField?: string;
  /** Token length above which records are counted in `tokens.overMaxLength`. Default 1024. */
  maxLength?: number;
  maxRecordBytes?: number;
  /** CSV: record field → column. */
  columns?: Record<string, string>;
  /** Token counter for the statistics, e.g. `(t) => tokenizer.encodeIds(t).length`. */
  countTokens?: (text: string) => number;
  tokenizerName?: string;
  /**
   * Tokenize a uniform sample of about this many bytes of records for min/median/p95/mean (max and
   * the over-max-length count stay exact). Default 16 MiB; Infinity tokenizes every record.
   */
  tokenSampleBytes?: number;
  template?: TextTemplate;
  onProgress?: (p: IngestProgress) => void;
}

export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;
export const DEFAULT_MAX_LENGTH = 1024;
export const DEFAULT_TOKEN_SAMPLE_BYTES = 16 << 20;
export const SPLIT_FILES: Record<SplitName, string> = {
  train: 'train.jsonl',
  validation: 'validation.jsonl',
  test: 'test.jsonl',
};
const SPOOL = '.ingest-spool.tmp';
const SPLIT_INDEX: Record<SplitName, number> = { train: 0, validation: 1, test: 2 };

function rejectLine(rec: SourceRecord, reason: RejectReason, message: string): string {
  const raw = rec.rawBytes !== undefined ? null : rec.raw;
  const out: Record<string, unknown> = { line: rec.line, reason, error: message, raw };
  if (rec.rawBytes !== undefined) out.rawBase64 = Buffer.from(rec.rawBytes).toString('base64');
  return JSON.stringify(out);
}

/** Pass 2: cuts each stratum by quota and copies the spooled records into the split files. */
function writeSplits(
  spoolPath: string,
  out: string,
  strata: Strata,
  labelNames: string[] | null,
  ratios: SplitRatios,
): { splits: Record<SplitName, SplitSummary>; hashes: string[] } {
  const cuts: Cut[] = [];
  for (let k = 0; k < strata.count; k++) {
    cuts.push(cutPositions(strata.positions(k), ratios, tieOffsetOf(labelNames?.[k])));
  }
  const sinks = SPLIT_NAMES.map((s) => new LineSink(path.join(out, SPLIT_FILES[s]), true));
  const perLabel: number[][] = SPLIT_NAMES.map(() => []);
  try {
    readSpool(spoolPath, (spooled, u, bytes, start, end) => {
      const k = strata.stratumOf(spooled);
      const s = SPLIT_INDEX[assignSplit(u, cuts[k])];
      sinks[s].writeBytes(bytes, start, end);
      perLabel[s][k] = (perLabel[s][k] ?? 0) + 1;
    });
  } finally {
    fs.rmSync(spoolPath, { force: true });
  }
  const hashes = sinks.map((s) => s.close());
  const splits = {} as Record<SplitName, SplitSummary>;
  SPLIT_NAMES.forEach((name, s) => {
    const summary: SplitSummary = { records: sinks[s].lines, sha256: hashes[s] };
    if (labelNames !== null)
      summary.labels = Object.fromEntries(labelNames.map((n, k) => [n, perLabel[s][k] ?? 0]));
    splits[name] = summary;
  });
  return { splits, hashes };
}

/** Ingests `file` into `options.out`; returns the manifest it wrote. Throws UserError when nothing was accepted. */
export async function ingestFile(file: string, options: IngestOptions): Promise<Manifest> {
  let totalBytes: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    fs.accessSync(file, fs.constants.R_OK);
    totalBytes = st.size;
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const format = resolveFormat(options.format ?? 'auto', file);
  const ratios = options.split ?? DEFAULT_SPLIT;
  const seed = options.seed ?? 42;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const template = options.template ?? DEFAULT_TEMPLATE;
  try {
    fs.mkdirSync(options.out, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create output folder ${options.out}: ${(e as Error).message}`);
  }

  // ---- pass 1: read, validate, deduplicate, spool -------------------------------------------
  const rejected = new LineSink(path.join(options.out, 'rejected.jsonl'));
  const spoolPath = path.join(options.out, SPOOL);
  const spool = new SpoolWriter(spoolPath);
  const seen = new SeenTable();
  const strata = new Strata(options.labelField !== undefined);
  const sampleBytes = options.tokenSampleBytes ?? DEFAULT_TOKEN_SAMPLE_BYTES;
  const tokenStats =
    options.countTokens === undefined
      ? undefined
      : new TokenLengthStats(
          options.countTokens,
          maxLength,
          totalBytes <= sampleBytes ? 1 : sampleBytes / totalBytes,
        );
  const byReason: Partial<Record<RejectReason, number>> = {};
  let style: RecordStyle | undefined = format.style;
  let total = 0;
  let duplicates = 0;
  let bytesRead = 0;
  let lastReport = 0;
  const report = (phase: IngestProgress['phase']) =>
    options.onProgress?.({ phase, bytesRead, totalBytes, records: total });
  const reject = (rec: SourceRecord, reason: RejectReason, message: string) => {
    byReason[reason] = (byReason[reason] ?? 0) + 1;
    rejected.write(rejectLine(rec, reason, message));
  };

  let reserved = false;
  const handle = (rec: SourceRecord): void => {
    total += 1;
    if (!reserved && bytesRead >= 8 << 20 && totalBytes > 16 << 20) {
      // size the seen-hash table once for the whole file, from the records per byte so far
      reserved = true;
      seen.reserve(Math.ceil((total / bytesRead) * totalBytes * 1.05));
    }
    if (options.onProgress !== undefined && bytesRead - lastReport >= 1 << 22) {
      lastReport = bytesRead;
      report('read');
    }
    if (rec.error !== undefined || rec.value === undefined) {
      const err = rec.error ?? recordError('not-object', 'no value');
      return reject(rec, err.reason, err.message);
    }
    style ??= detectStyle(rec.value);
    if (style === undefined) {
      return reject(
        rec,
        'missing-field',
        'no known fields: expected "prompt"/"completion", "messages", "input"/"output" or "text"',
      );
    }
    const valid = validateRecord(rec.value, style, options.labelField);
    if (!('content' in valid)) return reject(rec, valid.reason, valid.message);
    const { normalized: norm, exact } = contentHashes(valid.content);
    const first = seen.addOrFind(norm.hi, norm.lo, exact, rec.line);
    if (first !== undefined) {
      duplicates += 1;
      const how = first.exact ? '' : ' after normalization (NFC, whitespace)';
      return reject(rec, 'duplicate', `duplicate of line ${first.line}${how}`);
    }
    const u = splitPosition(norm.hi, norm.lo, seed);
    const stratum = strata.add(valid.label, u);
    tokenStats?.add(recordToText(rec.value, template, style).text, u);
    spool.write(stratum, u, rec.rawIsJson ? rec.raw : JSON.stringify(rec.value));
  };

  try {
    const parser = createParser(format.container, { maxRecordBytes, columns: options.columns });
    for await (const line of fileLines(file, maxRecordBytes, (n) => (bytesRead += n))) {
      const rec = parser.push(line);
      if (rec !== undefined) handle(rec);
    }
    const last = parser.end();
    if (last !== undefined) handle(last);
  } finally {
    rejected.close();
    spool.close();
  }
  report('read');
  const accepted = spool.records;

  // ---- pass 2: cut each stratum by quota and distribute -------------------------------------
  strata.finish(accepted);
  const labelNames = strata.labels();
  const { splits, hashes } = writeSplits(spoolPath, options.out, strata, labelNames, ratios);
  report('split');

  // ---- manifest -------------------------------------------------------------------------------
  const labelCounts =
    labelNames === null
      ? null
      : Object.fromEntries(labelNames.map((n, k) => [n, strata.positions(k).length]));
  const warnings = labelCounts === null ? [] : labelWarnings(labelCounts, splits, ratios);
  const tokens =
    tokenStats === undefined
      ? null
      : { tokenizer: options.tokenizerName ?? 'custom', ...tokenStats.summary() };
  if (tokens !== null && tokens.overMaxLength > 0) {
    warnings.push(
      `${tokens.exact ? '' : 'about '}${tokens.overMaxLength} records are longer than --max-length ${maxLength} tokens (they will be truncated in training)`,
    );
  }
  const manifest: Manifest = {
    version: 1,
    source: { file: path.basename(file), bytes: totalBytes, format: format.container, style: style ?? null },
    options: { split: [...ratios], seed, labelField: options.labelField ?? null, maxLength, maxRecordBytes },
    records: { total, accepted, rejected: total - accepted, duplicates },
    splits,
    labels:
      labelCounts === null
        ? null
        : {
            field: options.labelField ?? (style === 'input-output' ? 'label/output' : 'completion'),
            counts: labelCounts,
          },
    rejected: byReason,
    tokens,
    warnings,
    contentHash: createHash('sha256')
      .update(SPLIT_NAMES.map((n, s) => `${n} ${hashes[s]}\n`).join(''))
      .digest('hex'),
  };
  fs.writeFileSync(path.join(options.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  if (total === 0) throw new UserError(`${file} holds no records`);
  if (accepted === 0)
    throw new UserError(
      `every record of ${file} was rejected (${total}); see ${path.join(options.out, 'rejected.jsonl')}`,
    );
  return manifest;
}
