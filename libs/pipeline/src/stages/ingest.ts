// ingest: run.requested → dataset.ingested. Reads the run's dataset file into the stage folder
// (@ftune/dataset ingestFile: validation, dedup, stratified split, manifest with GPT-2 token counts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLines } from '@ftune/common';
import { newEnvelope, Topics } from '@ftune/contracts';
import { ingestFile } from '@ftune/dataset';
import { loadTokenizer } from '@ftune/tokenizer';
import type { Stage } from '../stage';
import { readRunConfig } from './common';

/** The first `n` records of a line-based file (CSV keeps its header line), copied into `dir`. */
async function firstRecords(file: string, n: number, dir: string): Promise<string> {
  const out = path.join(dir, path.basename(file));
  fs.mkdirSync(dir, { recursive: true });
  const keep = /\.csv$/i.test(file) ? n + 1 : n;
  const lines: string[] = [];
  for await (const l of readLines(fs.createReadStream(file))) {
    if (l.text === '') continue;
    lines.push(l.text);
    if (lines.length >= keep) break;
  }
  fs.writeFileSync(out, lines.join('\n') + '\n');
  return out;
}

export const ingestStage: Stage<typeof Topics.runRequested, typeof Topics.datasetIngested> = {
  name: 'ingest',
  consumes: Topics.runRequested,
  emits: Topics.datasetIngested,
  async handle(event, ctx) {
    const cfg = readRunConfig(ctx.store, event.runId);
    const rel = ctx.store.stageDir(event.runId, 'ingest');
    const out = ctx.store.ensureDir(rel);
    const input = cfg.dataset.maxRecords
      ? await firstRecords(cfg.dataset.path, cfg.dataset.maxRecords, path.join(out, 'input'))
      : cfg.dataset.path;
    const tokenizer = loadTokenizer(cfg.tokenizer);
    const manifest = await ingestFile(input, {
      out,
      format: cfg.dataset.format,
      split: cfg.dataset.split,
      seed: cfg.dataset.seed,
      labelField: cfg.dataset.labelField,
      maxLength: cfg.collator.maxLength,
      countTokens: (t) => tokenizer.encodeIds(t).length,
      tokenizerName: cfg.tokenizer === 'gpt2' ? 'gpt2' : path.basename(cfg.tokenizer),
      onProgress: (p) =>
        ctx.progress?.({ stage: 'ingest', unit: 'records', done: p.records, fields: { phase: p.phase } }),
    });
    ctx.log(
      `${manifest.records.accepted} records accepted (train ${manifest.splits.train.records}, validation ${manifest.splits.validation.records}, test ${manifest.splits.test.records}), ${manifest.records.rejected} rejected`,
    );
    return {
      ...newEnvelope(event.runId),
      datasetDir: rel,
      datasetHash: manifest.contentHash,
      counts: {
        train: manifest.splits.train.records,
        validation: manifest.splits.validation.records,
        test: manifest.splits.test.records,
        rejected: manifest.records.rejected,
      },
    };
  },
};
