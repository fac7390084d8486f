// `ftune evaluate` end to end, as a real process, on a tiny random GPT-Neo: outputs and exit codes.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { externalReferences, svgFragments, xmlProblems } from '@ftune/eval';
import { createModel, gptNeoConfig, saveModel } from '@ftune/model-gpt-neo';
import { loadTokenizer, saveTokenizerFiles } from '@ftune/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ftune-evaluate-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ftune(args: string[]) {
  return spawnSync(process.execPath, [BIN, 'evaluate', ...args], { encoding: 'utf8', cwd: ROOT });
}

function writeModel(dir: string, seed: number, vocabSize?: number): void {
  const model = createModel(vocabSize ? { ...gptNeoConfig('tiny'), vocabSize } : 'tiny', seed);
  saveModel(model, dir, { writeTokenizer: (d) => saveTokenizerFiles(loadTokenizer('gpt2'), d) });
  model.dispose();
}

function writeDataset(dir: string, splits: Record<string, number>): void {
  fs.mkdirSync(dir, { recursive: true });
  const records = (n: number, offset: number) =>
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        prompt: `Review ${offset + i}: ${i % 2 ? 'loved it' : 'hated it'}`,
        completion: i % 2 ? 'positive' : 'negative',
      }),
    ).join('\n') + '\n';
  let offset = 0;
  const summary: Record<string, { records: number }> = {};
  for (const [split, n] of Object.entries(splits)) {
    fs.writeFileSync(join(dir, `${split}.jsonl`), records(n, offset));
    summary[split] = { records: n };
    offset += n;
  }
  fs.writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: 1, splits: summary }));
}

beforeAll(() => {
  writeModel(join(tmp, 'tuned'), 1);
  writeModel(join(tmp, 'start'), 2);
  writeDataset(join(tmp, 'data'), { train: 6, validation: 2, test: 6 });
  fs.writeFileSync(
    join(tmp, 'metrics.jsonl'),
    '{"step":1,"loss":3.2}\n{"step":2,"loss":2.9,"token_accuracy":0.2}\n{"step":2,"eval_loss":3.0}\n',
  );
}, 60_000);

describe('ftune evaluate', () => {
  it('writes eval.json and a self-contained report.html', () => {
    const out = join(tmp, 'out');
    const r = ftune([
      '--model',
      join(tmp, 'tuned'),
      '--start',
      join(tmp, 'start'),
      '--dataset',
      join(tmp, 'data'),
      '--out',
      out,
      '--samples',
      '1',
      '--max-new-tokens',
      '3',
      '--bootstrap',
      '50',
      '--metrics',
      join(tmp, 'metrics.jsonl'),
    ]);
    expect(r.stderr).toMatch(/test split: 6 examples/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /on 6 test examples \(classification\): loss \d+\.\d+ · perplexity .* · accuracy .* · majority 0\.5000 · before fine-tuning/,
    );
    const e = JSON.parse(fs.readFileSync(join(out, 'eval.json'), 'utf8')) as Record<string, unknown>;
    for (const key of ['loss', 'perplexity', 'accuracy', 'macro_f1', 'baseline_accuracy', 'start_accuracy'])
      expect(typeof e[key]).toBe('number');
    expect(e['labels']).toEqual([' negative', ' positive']);
    expect((e['samples'] as { items: unknown[] }).items).toHaveLength(1);
    const html = fs.readFileSync(join(out, 'report.html'), 'utf8');
    expect(externalReferences(html)).toEqual([]);
    const svgs = svgFragments(html);
    expect(svgs.length).toBeGreaterThanOrEqual(5);
    for (const svg of svgs) expect(xmlProblems(svg)).toEqual([]);
    expect(html).toContain('aria-label="Training and validation loss"');
  }, 120_000);

  it('refuses a dataset without a test split', () => {
    writeDataset(join(tmp, 'no-test'), { train: 4, validation: 1 });
    const r = ftune([
      '--model',
      join(tmp, 'tuned'),
      '--dataset',
      join(tmp, 'no-test'),
      '--out',
      join(tmp, 'o1'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ftune: .*no-test has no test split/m);
  });

  it('refuses a model whose vocabulary is smaller than its tokenizer’s', () => {
    writeModel(join(tmp, 'small-vocab'), 3, 1000);
    const r = ftune([
      '--model',
      join(tmp, 'small-vocab'),
      '--dataset',
      join(tmp, 'data'),
      '--out',
      join(tmp, 'o2'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ftune: .*the tokenizer has 50257 tokens but the model's vocabulary is 1000/m);
  }, 60_000);

  it('refuses an empty label set', () => {
    const r = ftune([
      '--model',
      join(tmp, 'tuned'),
      '--dataset',
      join(tmp, 'data'),
      '--out',
      join(tmp, 'o3'),
      '--labels',
      ' , ',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ftune: the label set is empty/m);
  });
});
