// Test helper: a reduced run config of the bundled sentiment example (tiny preset, few records and
// steps) written to a temporary folder, shared by the `ftune run` and `ftune audit` end-to-end specs.
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

/** Writes run.yaml for `name` with the given record and step counts; `extra` lines are appended. */
export function writeExampleConfig(o: {
  name: string;
  runId?: string;
  maxRecords: number;
  maxSteps: number;
  warmupSteps?: number;
  samples: number;
  extra?: string[];
}): ExampleConfig {
  const dir = fs.mkdtempSync(join(os.tmpdir(), `ftune-${o.name}-`));
  const config = join(dir, 'run.yaml');
  const lines = [
    `name: ${o.name}`,
    ...(o.runId ? [`runId: ${o.runId}`] : []),
    `runsDir: ${dir}`,
    'dataset:',
    `  path: ${join(ROOT, 'examples', 'sentiment', 'reviews.jsonl')}`,
    `  maxRecords: ${o.maxRecords}`,
    'model:',
    '  preset: tiny',
    'collator:',
    '  maxLength: 48',
    'training:',
    '  learningRate: 0.01',
    '  batchSize: 16',
    `  maxSteps: ${o.maxSteps}`,
    ...(o.warmupSteps !== undefined ? [`  warmupSteps: ${o.warmupSteps}`] : []),
    '  saveTotalLimit: 1',
    'evaluation:',
    `  samples: ${o.samples}`,
    '  bootstrap: 50',
    ...(o.extra ?? []),
    '',
  ];
  fs.writeFileSync(config, lines.join('\n'));
  return { dir, config };
}
