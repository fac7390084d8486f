import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { embedding } from './embedding';
import { maxRelativeDiff, numericGradient } from './grad-check';

describe('embedding', () => {
  const table = tf.randomNormal([6, 3], 0, 1, 'float32', 1);
  const ids = tf.tensor1d([4, 0, 4, 2, 4], 'int32'); // id 4 three times: its gradient rows must add up
  const weights = tf.randomNormal([5, 3], 0, 1, 'float32', 2);
  const objective = (t: tf.Tensor) => tf.sum(tf.mul(embedding(t, ids), weights)) as tf.Scalar;

  it('returns the rows of the table by id, (V, C) × (N) → (N, C)', () => {
    const out = embedding(table, ids);
    expect(out.shape).toEqual([5, 3]);
    expect(Array.from(out.dataSync())).toEqual(Array.from(tf.gather(table, ids).dataSync()));
  });

  it('has the gradient of finite differences, duplicate ids summed', () => {
    const analytic = tf.grad(objective)(table).dataSync();
    expect(maxRelativeDiff(analytic, numericGradient(objective, table))).toBeLessThan(1e-3);
    const row4 = Array.from(analytic.slice(12, 15));
    const w = weights.arraySync() as number[][];
    row4.forEach((g, c) => expect(g).toBeCloseTo(w[0][c] + w[2][c] + w[4][c], 5));
    expect(Array.from(analytic.slice(3, 6))).toEqual([0, 0, 0]); // id 1 unused
  });

  it('equals tf.gather’s own gradient', () => {
    const ours = tf.grad(objective)(table).dataSync();
    const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), weights)) as tf.Scalar)(table).dataSync();
    expect(maxRelativeDiff(ours, theirs)).toBeLessThan(1e-6);
  });

  it('refuses float ids', () => {
    expect(() => embedding(table, tf.tensor1d([1, 2]))).toThrow(/ids must be int32/);
  });
});
