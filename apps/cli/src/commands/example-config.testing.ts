// Test helper: a reduced run config of the bundled sentiment example (tiny preset, few records and
// steps) written to a temporary folder, shared by the `ftune run` and `ftune audit` end-to-end specs.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..', '..');
export const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');

export interface ExampleConfig {
  /** Temporary folder holding run.yaml and the runs (remove it when done). */
  dir: string;
  /** Path of run.yaml. */
  config: string;
}

/**
 * Writes run.yaml for `name` with the given record and step counts; `extra` lines are appended.
 * With `neutralShare`, the data are generated afresh by examples/sentiment/generate.mjs (seed 7)
 * with that share of bias-carrying reviews, instead of the bundled file's 0.3.
 */
export function writeExampleConfig(o: {
  name: string;
  runId?: string;
  maxRecords: number;
  maxSteps: number;
  warmupSteps?: number;
  samples: number;
  extra?: string[];
  neutralShare?: number;
  /** Lines under `collator:` after maxLength (indented by the caller). */
  collator?: string[];
  /** Lines under `training:` after the step settings (indented by the caller). */
  training?: string[];
}): ExampleConfig {
  const dir = fs.mkdtempSync(join(os.tmpdir(), `ftune-${o.name}-`));
  const config = join(dir, 'run.yaml');
  const examples = join(ROOT, 'examples', 'sentiment');
  let data = join(examples, 'reviews.jsonl');
  if (o.neutralShare !== undefined) {
    data = join(dir, 'reviews.jsonl');
    const args = [join(examples, 'generate.mjs'), String(o.maxRecords), '7', String(o.neutralShare)];
    fs.writeFileSync(data, execFileSync(process.execPath, args));
  }
  const lines = [
    `name: ${o.name}`,
    ...(o.runId ? [`runId: ${o.runId}`] : []),
    `runsDir: ${dir}`,
    'dataset:',
    `  path: ${data}`,
    `  maxRecords: ${o.maxRecords}`,
    'model:',
    '  preset: tiny',
    'collator:',
    '  maxLength: 48',
    ...(o.collator ?? []),
    'training:',
    '  learningRate: 0.01',
    '  batchSize: 16',
    `  maxSteps: ${o.maxSteps}`,
    ...(o.warmupSteps !== undefined ? [`  warmupSteps: ${o.warmupSteps}`] : []),
    '  saveTotalLimit: 1',
    ...(o.training ?? []),
    'evaluation:',
    `  samples: ${o.samples}`,
    '  bootstrap: 50',
    ...(o.extra ?? []),
    '',
  ];
  fs.writeFileSync(config, lines.join('\n'));
  return { dir, config };
}
