// `ftune score` and `ftune generate` end to end (real processes, cpu backend) on a small random GPT-Neo folder.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, gptNeoConfig, loadModel, saveModel } from '@ftune/model-gpt-neo';
import { loadTokenizer, saveTokenizerFiles } from '@ftune/tokenizer';
import { scoreBatch } from './score';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');
const dir = fs.mkdtempSync(join(os.tmpdir(), 'ftune-score-'));
const tokenizer = loadTokenizer('gpt2');

function ftune(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: ROOT, env: { ...process.env, FTUNE_BACKEND: 'cpu' } });
  return { status: r.status, stderr: r.stderr, lines: r.stdout.split('\n').filter((l) => l !== '') };
}

beforeAll(() => {
  const model = createModel(gptNeoConfig('tiny', { hiddenSize: 16, maxPositionEmbeddings: 64 }), 5);
  saveModel(model, dir, { writeTokenizer: (d) => saveTokenizerFiles(tokenizer, d) });
  model.dispose();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ftune score', () => {
  const texts = ['Hello world, this is a test.', 'A', 'The quick brown fox jumps over the lazy dog.'];

  it('writes the mean next-token loss and token count per line, equal to the model loss of each text alone', () => {
    const out = ftune(['score', '--model', dir, '--batch-size', '2'], `${texts.map((text) => JSON.stringify({ text })).join('\n')}\n\n`);
    expect(out.status).toBe(0);
    const results = out.lines.map((l) => JSON.parse(l) as { loss: number | null; tokens: number });
    expect(results.map((r) => r.tokens)).toEqual(texts.map((t) => tokenizer.encodeIds(t).length));
    expect(results[1].loss).toBeNull(); // one token: nothing to predict
    const model = loadModel(dir);
    try {
      for (const i of [0, 2]) {
        const ids = Int32Array.from(tokenizer.encodeIds(texts[i]));
        const alone = model.loss({ batchSize: 1, seqLen: ids.length, inputIds: ids, labels: ids });
        expect(results[i].loss).toBeCloseTo(alone, 4);
      }
      const padded = scoreBatch(model, [tokenizer.encodeIds(texts[0]), tokenizer.encodeIds(texts[2])]);
      expect(padded[0]).toBeCloseTo(results[0].loss as number, 4);
    } finally {
      model.dispose();
    }
  });

  it('names the line of a bad record', () => {
    const out = ftune(['score', '--model', dir], '{"text":"ok"}\n{"txt":"no"}\n');
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('line 2: expected {"text": string}');
  });
});

describe('ftune generate', () => {
  it('continues a prompt greedily, and reproducibly when sampling with a seed', () => {
    const greedy = ftune(['generate', '--model', dir, '--prompt', 'Once upon a time', '--max-new-tokens', '5', '--json']);
    expect(greedy.status).toBe(0);
    const { completion, ids } = JSON.parse(greedy.lines[0]) as { completion: string; ids: number[] };
    expect(ids.length).toBeLessThanOrEqual(5);
    expect(completion).toBe(tokenizer.decode(ids));
    const args = ['generate', '--model', dir, '--prompt', 'Once upon a time', '--max-new-tokens', '5', '--temperature', '0.9', '--top-k', '20', '--seed', '4'];
    expect(ftune(args).lines).toEqual(ftune(args).lines);
  });

  it('refuses a top-p outside (0, 1]', () => {
    const out = ftune(['generate', '--model', dir, '--prompt', 'x', '--temperature', '1', '--top-p', '1.5']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('top-p must be in (0, 1]');
  });
});
