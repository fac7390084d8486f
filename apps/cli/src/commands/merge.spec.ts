// `ftune merge` and the --adapter flag end to end (real processes, cpu backend): a LoRA adapter on a small random
// GPT-Neo folder, folded into a plain folder whose logits equal base + adapter, and scored alike every way it is given.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, gptNeoConfig, loadModel, loadModelFolder, saveAdapter, saveModel } from '@ftune/model-gpt-neo';
import { loadTokenizer, saveTokenizerFiles } from '@ftune/tokenizer';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');
const dir = fs.mkdtempSync(join(os.tmpdir(), 'ftune-merge-'));
const [base, adapter, merged] = ['base', 'adapter', 'merged'].map((d) => join(dir, d));

function ftune(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: ROOT, env: { ...process.env, FTUNE_BACKEND: 'cpu' } });
  return { status: r.status, stderr: r.stderr, lines: r.stdout.split('\n').filter((l) => l !== '') };
}

beforeAll(() => {
  const model = createModel(gptNeoConfig('tiny', { hiddenSize: 16, maxPositionEmbeddings: 64 }), 5);
  const tokenizer = loadTokenizer('gpt2');
  saveModel(model, base, { writeTokenizer: (d) => saveTokenizerFiles(tokenizer, d) });
  const lora = model.attachLora({ r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj', 'c_fc'] }, 1);
  // a trained adapter's B is not 0: seeded values so that the adapter changes the model (seeds from 1: tfjs
  // takes a seed of 0 as none and draws at random)
  lora.variables.forEach((v, i) => v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.5, 'float32', i + 1))));
  saveAdapter(model, adapter, { baseModel: base });
  model.dispose();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const ids = { batchSize: 1, seqLen: 6, inputIds: Int32Array.from([15496, 995, 11, 428, 318, 257]) };

describe('ftune merge', () => {
  it('writes a plain model folder (the base the adapter names) whose logits equal base + adapter within 1e-5', () => {
    const out = ftune(['merge', '--adapter', adapter, '--out', merged]);
    expect(out.stderr).toContain(`merged ${adapter}`);
    expect(out.status).toBe(0);
    expect(fs.existsSync(join(merged, 'adapter_config.json'))).toBe(false);
    expect(fs.existsSync(join(merged, 'tokenizer.json'))).toBe(true);
    const plain = loadModel(merged);
    const adapted = loadModelFolder(base, adapter);
    const baseOnly = loadModel(base);
    const [a, b, c] = [plain, adapted, baseOnly].map((m) => tf.tidy(() => m.logits(ids).dataSync()));
    const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
    const scale = maxDiff(b, new Float32Array(b.length));
    expect(maxDiff(a, b) / scale).toBeLessThan(1e-5);
    expect(maxDiff(c, b) / scale).toBeGreaterThan(1e-3); // the adapter mattered
    [plain, adapted, baseOnly].forEach((m) => m.dispose());
  });

  it('refuses to write over the base or the adapter folder, and an --adapter that is not one', () => {
    const over = ftune(['merge', '--model', base, '--adapter', adapter, '--out', base]);
    expect(over.status).not.toBe(0);
    expect(over.stderr).toMatch(/--out .* is the base model folder/);
    const notAdapter = ftune(['merge', '--model', base, '--adapter', base, '--out', join(dir, 'x')]);
    expect(notAdapter.status).not.toBe(0);
    expect(notAdapter.stderr).toMatch(/not an adapter folder \(no adapter_config\.json\)/);
  });
});

describe('--adapter', () => {
  it('scores alike: --model BASE --adapter DIR, the adapter folder alone, the merged folder; the base alone differs', () => {
    const text = `${JSON.stringify({ text: 'Hello world, this is a test of the adapter.' })}\n`;
    const loss = (args: string[]): number => {
      const out = ftune(['score', ...args], text);
      expect(out.status, out.stderr).toBe(0);
      return (JSON.parse(out.lines[0]) as { loss: number }).loss;
    };
    const withFlag = loss(['--model', base, '--adapter', adapter]);
    expect(Math.abs(loss(['--model', adapter]) - withFlag)).toBeLessThan(1e-6);
    expect(Math.abs(loss(['--model', merged]) - withFlag) / withFlag).toBeLessThan(1e-5);
    expect(Math.abs(loss(['--model', base]) - withFlag)).toBeGreaterThan(1e-3);
  });
});
