// `ftune ingest FILE --out DIR`: validate, deduplicate and split a dataset file (JSONL, CSV or plain
// text) into train/validation/test.jsonl, rejected.jsonl and manifest.json. Transport only: flags in,
// one call to @ftune/dataset's ingestFile, a progress line on stderr and a one-screen summary out.
import * as path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '@ftune/common';
import type { IngestProgress, Manifest, SplitName } from '@ftune/dataset';
import { lib } from './libs';

interface IngestFlags {
  out: string;
  format: string;
  split: string;
  seed: number;
  labelField?: string;
  maxLength: number;
  maxRecordBytes: number;
  columns?: string;
  tokenizer: string;
  exactTokenStats?: boolean;
}

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min)
      throw new UserError(`expected an integer ≥ ${min}, got "${value}"`);
    return n;
  };
}

/** `prompt=question,completion=answer` → { prompt: 'question', completion: 'answer' }. */
function parseColumns(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [field, column, extra] = pair.split('=').map((s) => s.trim());
    if (!field || !column || extra !== undefined)
      throw new UserError(`--columns expects FIELD=COLUMN pairs, got "${pair}"`);
    map[field] = column;
  }
  return map;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('validate, deduplicate and split a JSONL, CSV or text dataset into train/validation/test')
    .argument('<file>', 'dataset file (.jsonl, .csv, .txt)')
    .requiredOption('--out <DIR>', 'output folder')
    .option(
      '--format <F>',
      'auto, jsonl, csv, txt, or a JSONL style: prompt-completion, chat, input-output, text',
      'auto',
    )
    .option('--split <R>', 'train,validation,test ratios', '0.8,0.1,0.1')
    .option('--seed <N>', 'seed of the split', integer(0), 42)
    .option(
      '--label-field <F>',
      'stratify by this field (default: the completion of classification-style data)',
    )
    .option('--max-length <N>', 'count records longer than N tokens', integer(1), 1024)
    .option('--max-record-bytes <N>', 'reject records larger than N bytes', integer(1), 1 << 20)
    .option('--columns <MAP>', 'CSV: FIELD=COLUMN pairs, e.g. prompt=question,completion=answer')
    .option('--tokenizer <gpt2|DIR|none>', 'tokenizer for the token-length statistics', 'gpt2')
    .option('--exact-token-stats', 'tokenize every record (default: a 16 MiB sample of larger files)')
    .action(async (file: string, flags: IngestFlags) => ingest(file, flags));
}

async function ingest(file: string, flags: IngestFlags): Promise<void> {
  const { ingestFile, parseSplit, SPLIT_NAMES } = lib.dataset();
  const { loadTokenizer } = lib.tokenizer();
  const split = parseSplit(flags.split);
  const tokenizer = flags.tokenizer === 'none' ? undefined : loadTokenizer(flags.tokenizer);
  const progress = new Progress(process.stderr);
  const started = Date.now();
  let manifest: Manifest;
  try {
    manifest = await ingestFile(file, {
      out: flags.out,
      format: flags.format,
      split,
      seed: flags.seed,
      labelField: flags.labelField,
      maxLength: flags.maxLength,
      maxRecordBytes: flags.maxRecordBytes,
      columns: flags.columns === undefined ? undefined : parseColumns(flags.columns),
      countTokens: tokenizer === undefined ? undefined : (t) => tokenizer.encodeIds(t).length,
      tokenizerName: flags.tokenizer,
      tokenSampleBytes: flags.exactTokenStats ? Number.POSITIVE_INFINITY : undefined,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.done();
  }
  process.stdout.write(summary(manifest, SPLIT_NAMES, flags.out, (Date.now() - started) / 1000));
}

/** Progress on stderr for inputs over 16 MiB: one rewritten line on a TTY, a plain line every 5 s otherwise. */
class Progress {
  private last = 0;
  private shown = false;
  private readonly started = Date.now();
  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(p: IngestProgress): void {
    if (p.totalBytes < 16 << 20) return;
    const now = Date.now();
    if (now - this.last < (this.stream.isTTY ? 200 : 5000)) return;
    this.last = now;
    const mb = p.bytesRead / 1e6;
    const pct = p.totalBytes > 0 ? Math.min(100, (100 * p.bytesRead) / p.totalBytes) : 100;
    const rate = mb / Math.max(0.001, (now - this.started) / 1000);
    const text = `ingest: ${p.phase} ${pct.toFixed(0)}% · ${mb.toFixed(0)} MB · ${p.records} records · ${rate.toFixed(1)} MB/s`;
    if (this.stream.isTTY) this.stream.write(`\r${text}\x1b[K`);
    else this.stream.write(text + '\n');
    this.shown = true;
  }

  done(): void {
    if (this.shown && this.stream.isTTY) this.stream.write('\r\x1b[K');
  }
}

function summary(m: Manifest, splitNames: readonly SplitName[], out: string, seconds: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const rows: string[] = [];
  const rate = m.source.bytes / 1e6 / Math.max(seconds, 0.001);
  rows.push(
    `ingested ${m.source.file} (${m.source.format}, ${m.source.style ?? 'unknown style'}): ${n(m.records.total)} records in ${seconds.toFixed(1)} s (${rate.toFixed(1)} MB/s)`,
  );
  rows.push(
    `  accepted  ${n(m.records.accepted)}: ${splitNames.map((s) => `${s} ${n(m.splits[s].records)}`).join(' · ')}`,
  );
  const reasons = Object.entries(m.rejected).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  rows.push(
    `  rejected  ${n(m.records.rejected)}${reasons.length > 0 ? `: ${reasons.map(([r, c]) => `${r} ${n(c ?? 0)}`).join(', ')}` : ''}`,
  );
  if (m.labels !== null) {
    const labels = Object.entries(m.labels.counts).sort((a, b) => b[1] - a[1]);
    const shown = labels
      .slice(0, 8)
      .map(([l, c]) => `${l} ${n(c)}`)
      .join(' · ');
    rows.push(
      `  labels    (${m.labels.field}) ${shown}${labels.length > 8 ? ` · … ${labels.length - 8} more` : ''}`,
    );
  }
  if (m.tokens !== null) {
    const t = m.tokens;
    const how = t.exact ? '' : `, from a ${((100 * t.counted) / Math.max(1, t.records)).toFixed(1)} % sample`;
    const over = t.exact
      ? n(t.overMaxLength)
      : `~${n(t.overMaxLength)} (at most ${n(t.overMaxLengthAtMost)})`;
    rows.push(
      `  tokens    min ${t.min} · median ${t.median} · p95 ${t.p95} · max ${t.max} (${t.tokenizer}${how}); ${over} over --max-length ${t.maxLength}`,
    );
  }
  for (const w of m.warnings.slice(0, 5)) rows.push(`  warning   ${w}`);
  if (m.warnings.length > 5) rows.push(`  warning   … ${m.warnings.length - 5} more in manifest.json`);
  rows.push(`  content   sha256 ${m.contentHash}`);
  rows.push(`  wrote     ${path.join(out, '{train,validation,test,rejected}.jsonl')} and manifest.json`);
  return rows.join('\n') + '\n';
}
