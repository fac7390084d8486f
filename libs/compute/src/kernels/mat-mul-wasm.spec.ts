import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerKernelFixes } from './index';
import { matMulWithoutTransposes } from './mat-mul-wasm';
import { maxRelDiff, runOn, seeded } from '../testing/parity';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerKernelFixes('wasm');
});

const cases: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Products and their gradients for (B, M, K)·(B, K, N) laid out per the transpose flags. */
function products(transposeA: boolean, transposeB: boolean): tf.Tensor[] {
  const [B, M, K, N] = [3, 5, 7, 4];
  const a = tf.tensor3d(seeded(B * M * K, 1), transposeA ? [B, K, M] : [B, M, K]);
  const b = tf.tensor3d(seeded(B * K * N, 2), transposeB ? [B, N, K] : [B, K, N]);
  const bias = tf.tensor1d(seeded(N, 3));
  const loss = (x: tf.Tensor, y: tf.Tensor) =>
    tf.sum(tf.mul(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, transposeA, transposeB), tf.tensor3d(seeded(B * M * N, 4), [B, M, N])));
  const [ga, gb] = tf.grads(loss)([a, b]);
  const fused = tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation: 'relu' });
  const a4 = tf.reshape(a, [1, ...a.shape]);
  const b4 = tf.reshape(b, [1, ...b.shape]);
  return [tf.matMul(a, b, transposeA, transposeB), ga, gb, fused, tf.matMul(a4 as tf.Tensor4D, b4 as tf.Tensor4D, transposeA, transposeB)];
}

describe('wasm matMul without the transposed path', () => {
  it('replaces BatchMatMul and _FusedMatMul once', () => {
    expect(matMulWithoutTransposes('wasm')).toEqual([]);
  });

  it.each(cases)('transposeA=%s transposeB=%s: products, gradients and fused products equal cpu', async (ta, tb) => {
    const onWasm = await runOn('wasm', () => products(ta, tb));
    const onCpu = await runOn('cpu', () => products(ta, tb));
    onWasm.forEach((values, i) => expect(maxRelDiff(values, onCpu[i])).toBeLessThan(1e-5));
  });

  it.each(['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu', 'prelu'] as const)(
    'fused product with bias and %s activation equals cpu, batched and not',
    async (activation) => {
      const run = () =>
        [[2, 2, 2, 2], [1, 3, 4, 5], [2, 3, 2, 4]].flatMap(([B, M, K, N]) => {
          const a = tf.tensor3d(seeded(B * M * K, M), [B, M, K]);
          const b = tf.tensor3d(seeded(B * K * N, N), [B, K, N]);
          const bias = tf.tensor1d(seeded(N, K));
          const preluActivationWeights = activation === 'prelu' ? tf.tensor1d(seeded(N, 7)) : undefined;
          const fused = (x: tf.Tensor3D | tf.Tensor2D, y: tf.Tensor3D | tf.Tensor2D) =>
            tf.fused.matMul({ a: x, b: y, bias, activation, preluActivationWeights, leakyreluAlpha: 0.1 });
          return [fused(a, b), fused(tf.reshape(a, [B * M, K]) as tf.Tensor2D, tf.reshape(tf.slice(b, 0, 1), [K, N]) as tf.Tensor2D)];
        });
      const onWasm = await runOn('wasm', run);
      const onCpu = await runOn('cpu', run);
      onWasm.forEach((values, i) => expect(maxRelDiff(values, onCpu[i])).toBeLessThan(1e-5));
    },
  );

  it('frees the intermediate tensors it makes', async () => {
    await tf.setBackend('wasm');
    const a = tf.ones([64, 32]);
    const b = tf.ones([48, 32]);
    const bias = tf.ones([48]);
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    tf.matMul(a, b, false, true).dispose();
    tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    tf.dispose([a, b, bias]);
  });
});
