// The ops our GPT-Neo model uses, forward and backward, on every backend this machine has, against cpu.
// The native backend is demanded where FTUNE_EXPECT_NATIVE=1 (CI, after npm ci); elsewhere, when it is
// missing, the comparisons run on the backends present and the reason is logged.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendInfo, loadBackend, probeNative } from './backends';
import { type BackendChoice, initBackend } from './chooser';
import { maxRelDiff, runOn, seeded } from './testing/parity';

const nativeMissing = probeNative();
const compared = nativeMissing ? ['wasm'] : ['tensorflow', 'wasm'];
if (nativeMissing) console.warn(`native backend not compared: ${nativeMissing}`);

let choice: BackendChoice;
beforeAll(async () => {
  choice = await initBackend({ env: {} });
  for (const name of ['wasm', 'cpu'] as const) await loadBackend(name);
});

describe('initBackend and backendInfo on this machine', () => {
  it('chooses native when installed (demanded with FTUNE_EXPECT_NATIVE=1), wasm otherwise, and says why', async () => {
    if (process.env.FTUNE_EXPECT_NATIVE === '1') expect(nativeMissing).toBeUndefined();
    expect(choice.info.backend).toBe(nativeMissing ? 'wasm' : 'tensorflow');
    const gpuSkip = choice.skipped.find((s) => s.candidate === 'tensorflow-gpu');
    if (choice.candidate !== 'tensorflow-gpu') expect(gpuSkip?.reason).toMatch(/GPU|CUDA/);
    if (nativeMissing) expect(choice.skipped.map((s) => s.candidate)).toContain('tensorflow');
    expect(await initBackend({ env: {} })).toBe(choice);
    await expect(initBackend({ backend: 'cpu' })).rejects.toThrow('the backend was already chosen (auto); cannot switch to cpu');
  });

  it.each(compared)('reports %s with its version and threads', async (name) => {
    await tf.setBackend(name);
    const info = backendInfo();
    expect(info.backend).toBe(name);
    expect(info.device).toBe('cpu');
    expect(info.version).toMatch(name === 'tensorflow' ? /^2\.\d+\.\d+/ : /^4\.22\.0$/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });
});

const [B, T, C, H, V] = [2, 6, 8, 2, 11];
const D = C / H;
const values = (shape: number[], seed: number, scale = 1) => tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), seed, scale), shape);

/** LayerNorm as the model writes it: moments over the last axis. */
function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

/** GPT-Neo's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function geluNew(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** Causal self-attention with a where-mask (B, H, T, T), GPT-Neo style (no scaling). */
function attention(x: tf.Tensor, wq: tf.Tensor, wk: tf.Tensor, wv: tf.Tensor): tf.Tensor {
  const heads = (w: tf.Tensor) => tf.transpose(tf.reshape(tf.matMul(tf.reshape(x, [B * T, C]), w), [B, T, H, D]), [0, 2, 1, 3]); // (B, H, T, D)
  const [q, k, v] = [heads(wq), heads(wk), heads(wv)];
  const scores = tf.matMul(q, k, false, true); // (B, H, T, T)
  const causal = tf.cast(tf.linalg.bandPart(tf.ones([T, T]), -1, 0), 'bool');
  const masked = tf.where(causal, scores, tf.fill([T, T], -1e9));
  return tf.reshape(tf.transpose(tf.matMul(tf.softmax(masked), v), [0, 2, 1, 3]), [B, T, C]); // (B, T, C)
}

const cases: Record<string, () => tf.Tensor[]> = {
  'matMul (all transposes)': () => {
    const a = values([12, 16], 1);
    const b = values([16, 12], 2);
    return [tf.matMul(a, b), tf.matMul(a, a, false, true), tf.matMul(a, a, true, false), tf.matMul(b, a, true, true)];
  },
  'batchMatMul 4-D (q·kᵀ)': () => [tf.matMul(values([B, H, T, D], 3), values([B, H, T, D], 4), false, true)],
  'softmax and logSoftmax': () => [tf.softmax(values([B, T, V], 5, 4)), tf.logSoftmax(values([B, T, V], 5, 4))],
  'gather and its gradient (embedding)': () => {
    const ids = tf.tensor2d([[1, 4, 4, 0, 10, 3], [3, 3, 9, 2, 1, 4]], [B, T], 'int32');
    const table = values([V, C], 6);
    const upstream = values([B, T, C], 7);
    const f = (w: tf.Tensor) => tf.sum(tf.mul(tf.gather(w, ids), upstream));
    return [tf.gather(table, ids), tf.grad(f)(table)];
  },
  'layerNorm via moments, with gradients': () => {
    const [x, g, b] = [values([B, T, C], 8, 3), values([C], 9), values([C], 10)];
    const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, gg, bb), values([B, T, C], 11)));
    return [layerNorm(x, g, b), ...tf.grads(f)([x, g, b])];
  },
  'tanh (gelu_new), with gradient': () => {
    const x = values([B, T, C], 12, 4);
    return [geluNew(x), tf.grad((xx: tf.Tensor) => tf.sum(geluNew(xx)))(x)];
  },
  'where-masked causal attention, with gradients': () => {
    const [x, wq, wk, wv] = [values([B, T, C], 13), values([C, C], 14), values([C, C], 15), values([C, C], 16)];
    const f = (xx: tf.Tensor, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(attention(xx, q, k, v), values([B, T, C], 17)));
    return [attention(x, wq, wk, wv), ...tf.grads(f)([x, wq, wk, wv])];
  },
  'scatterND (embedding gradient by scatter)': () => {
    const indices = tf.tensor2d([[4], [1], [4], [0]], [4, 1], 'int32');
    return [tf.scatterND(indices, values([4, C], 18), [V, C])];
  },
  'cross-entropy of tied-embedding logits, with gradients': () => {
    const [h, wte] = [values([B * T, C], 19), values([V, C], 20)];
    const labels = tf.oneHot(tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1], 'int32'), V);
    const f = (hh: tf.Tensor, w: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, tf.matMul(hh, w, false, true));
    return [f(h, wte), ...tf.grads(f)([h, wte])];
  },
};

describe.each(compared)('ops on %s equal cpu', (backend) => {
  it.each(Object.keys(cases))('%s', async (name) => {
    const expected = await runOn('cpu', cases[name]);
    const actual = await runOn(backend, cases[name]);
    expect(actual.length).toBe(expected.length);
    actual.forEach((values, i) => expect(maxRelDiff(values, expected[i]), `${name} output ${i}`).toBeLessThan(2e-5));
  });
});
