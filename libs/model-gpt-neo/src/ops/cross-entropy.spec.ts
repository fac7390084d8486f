import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy';
import { maxRelativeDiff, numericGradient } from './grad-check';

describe('crossEntropy', () => {
  const logits = tf.randomNormal([4, 7], 0, 2, 'float32', 6);
  const targets = tf.tensor1d([3, 0, 6, 3], 'int32');
  const weights = tf.tensor1d([1, 0.5, 0, 2]);

  it('equals −log_softmax at the target', () => {
    const want = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, 7)), 1)).dataSync();
    expect(maxRelativeDiff(crossEntropy(logits, targets).dataSync(), want)).toBeLessThan(1e-6);
  });

  it('is stable for huge logits', () => {
    const big = tf.tensor2d([[1e4, 0, -1e4], [5e3, 5e3, 0]]);
    const ce = crossEntropy(big, tf.tensor1d([1, 0], 'int32')).dataSync();
    expect(ce[0]).toBeCloseTo(1e4, 0);
    expect(ce[1]).toBeCloseTo(Math.log(2), 5);
  });

  it('has the gradient (softmax − onehot) · dy, matching finite differences', () => {
    const f = (x: tf.Tensor) => tf.sum(tf.mul(crossEntropy(x, targets), weights)) as tf.Scalar;
    expect(maxRelativeDiff(tf.grad(f)(logits).dataSync(), numericGradient(f, logits))).toBeLessThan(1e-3);
  });

  it('refuses float targets or a wrong count', () => {
    expect(() => crossEntropy(logits, tf.tensor1d([1, 2, 3, 4]))).toThrow(/int32 of length 4/);
    expect(() => crossEntropy(logits, tf.tensor1d([1], 'int32'))).toThrow(/int32 of length 4/);
  });
});
