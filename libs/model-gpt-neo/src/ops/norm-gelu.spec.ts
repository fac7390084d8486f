import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxRelativeDiff, numericGradient } from './grad-check';
import { gelu, layerNorm } from './norm-gelu';

// The definitions as plain composed ops, differentiated by tfjs: the reference for the closed-form gradients.
function composedLayerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const normed = tf.div(centred, tf.sqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)));
  return tf.add(tf.mul(normed, w), b);
}
function composedGelu(x: tf.Tensor): tf.Tensor {
  const cube = tf.pow(x, 3);
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, cube))))));
}

/** Deterministic values in [-scale, scale). */
function values(shape: number[], seed: number, scale = 2): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out[i] = (s / 2 ** 31 - 0.5) * 2 * scale;
  }
  return tf.tensor(out, shape);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('layerNorm', () => {
  const eps = 1e-5;
  const x = values([3, 4, 8], 1, 3);
  const w = values([8], 2);
  const b = values([8], 3);
  const upstream = values([3, 4, 8], 4); // a loss that weighs every output differently

  it('equals torch.nn.LayerNorm: zero mean and unit (biased) variance before the affine part', () => {
    const y = layerNorm(x, tf.ones([8]), tf.zeros([8]), eps);
    const mean = tf.mean(y, -1).dataSync();
    const variance = tf.mean(tf.square(tf.sub(y, tf.mean(y, -1, true))), -1).dataSync();
    for (const m of mean) expect(Math.abs(m)).toBeLessThan(1e-6);
    for (const v of variance) expect(Math.abs(v - 1)).toBeLessThan(1e-3); // eps / var of these rows
    expect(maxRelativeDiff(layerNorm(x, w, b, eps).dataSync(), composedLayerNorm(x, w, b, eps).dataSync())).toBeLessThan(1e-6);
  });

  it('has the gradients of the composed definition for x, weight and bias', () => {
    const loss = (f: typeof layerNorm) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, ww, bb, eps), upstream));
    const ours = tf.grads(loss(layerNorm))([x, w, b]);
    const reference = tf.grads(loss(composedLayerNorm))([x, w, b]);
    ours.forEach((g, i) => {
      expect(g.shape).toEqual(reference[i].shape);
      expect(maxRelativeDiff(g.dataSync(), reference[i].dataSync())).toBeLessThan(1e-5);
    });
  });

  it('matches central differences in x', () => {
    const small = values([2, 5], 7, 1);
    const f = (xx: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, tf.slice(w, 0, 5), tf.slice(b, 0, 5), eps), values([2, 5], 8))) as tf.Scalar;
    const analytic = tf.grad(f)(small).dataSync();
    expect(maxRelativeDiff(analytic, numericGradient(f, small))).toBeLessThan(2e-2);
  });
});

describe('gelu_new', () => {
  it('is the tanh approximation, not erf GELU (x = 1 → 0.8411920, x = −2 → −0.0454023)', () => {
    const y = gelu(tf.tensor1d([1, -2])).dataSync();
    expect(y[0]).toBeCloseTo(0.841192, 6);
    expect(y[1]).toBeCloseTo(-0.0454023, 6);
  });

  it('has the value and gradient of the composed definition, far into both tails', () => {
    const x = values([6, 50], 5, 6);
    const upstream = values([6, 50], 6);
    expect(maxRelativeDiff(gelu(x).dataSync(), composedGelu(x).dataSync())).toBeLessThan(1e-6);
    const grad = (f: (t: tf.Tensor) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), upstream)))(x);
    expect(maxRelativeDiff(grad(gelu).dataSync(), grad(composedGelu).dataSync())).toBeLessThan(1e-5);
  });

  it('matches central differences', () => {
    const x = values([12], 9, 3);
    const f = (t: tf.Tensor) => tf.sum(gelu(t)) as tf.Scalar;
    expect(maxRelativeDiff(tf.grad(f)(x).dataSync(), numericGradient(f, x))).toBeLessThan(2e-2);
  });
});
