import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { maxRelativeDiff, numericGradient } from './grad-check';
import { linear, matmul } from './matmul';

describe('matmul (explicit transposes)', () => {
  for (const [label, aShape, bShape] of [
    ['rank 2', [3, 4], [4, 5]],
    ['rank 4 (attention)', [2, 2, 3, 4], [2, 2, 4, 3]],
  ] as const) {
    describe(label, () => {
      const a = tf.randomNormal([...aShape], 0, 1, 'float32', 3);
      const b = tf.randomNormal([...bShape], 0, 1, 'float32', 4);
      const outShape = [...aShape.slice(0, -1), bShape[bShape.length - 1]];
      const w = tf.randomNormal(outShape, 0, 1, 'float32', 5);

      it('equals tf.matMul', () => {
        expect(maxRelativeDiff(matmul(a, b).dataSync(), tf.matMul(a, b).dataSync())).toBeLessThan(1e-6);
      });

      it('has the gradients of tf.matMul and of finite differences', () => {
        const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matmul(x, y), w)) as tf.Scalar)([a, b]);
        const theirs = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), w)) as tf.Scalar)([a, b]);
        expect(maxRelativeDiff(ours[0].dataSync(), theirs[0].dataSync())).toBeLessThan(1e-6);
        expect(maxRelativeDiff(ours[1].dataSync(), theirs[1].dataSync())).toBeLessThan(1e-6);
        const numeric = numericGradient((x) => tf.sum(tf.mul(matmul(x, b), w)) as tf.Scalar, a);
        expect(maxRelativeDiff(ours[0].dataSync(), numeric)).toBeLessThan(1e-3);
      });
    });
  }

  it('linear adds the bias: (N, I) @ (I, O) + (O)', () => {
    const y = linear(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 0, 2], [0, 1, 3]]), tf.tensor1d([10, 20, 30]));
    expect(Array.from(y.dataSync())).toEqual([11, 22, 38]);
  });

  it('refuses operands of different ranks', () => {
    expect(() => matmul(tf.zeros([2, 2]), tf.zeros([1, 2, 2]))).toThrow(/same rank/);
  });
});
