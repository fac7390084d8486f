import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { UnsortedSegmentSum } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerKernelFixes } from './index';
import { segmentSumInto } from './unsorted-segment-sum';
import { maxRelDiff, runOn, seeded } from '../testing/parity';

beforeAll(() => {
  registerKernelFixes('wasm');
  registerKernelFixes('cpu');
});

/** The obvious reference: for each segment, the sum of the rows that carry its id. */
function reference(x: Float32Array, ids: number[], numSegments: number, inner: number): Float32Array {
  const out = new Float32Array(numSegments * inner);
  for (let s = 0; s < numSegments; s++) {
    ids.forEach((id, i) => {
      if (id === s) for (let j = 0; j < inner; j++) out[s * inner + j] += x[i * inner + j];
    });
  }
  return out;
}

/** The kernel itself: the public op admits only 1-D segment ids. */
function segmentSumKernel(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  return tf.engine().runKernel(UnsortedSegmentSum, { x, segmentIds }, { numSegments }) as tf.Tensor;
}

describe('segmentSumInto', () => {
  it('adds each row into its segment and drops ids outside [0, numSegments)', () => {
    const x = Float32Array.from([1, 2, 10, 20, 100, 200, 7, 7]);
    const out = new Float32Array(3 * 2);
    segmentSumInto(x, Int32Array.from([2, -1, 2, 3]), 2, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 101, 202]);
  });
});

describe.each(['wasm', 'cpu'])('UnsortedSegmentSum on %s', (backend) => {
  it('matches the reference for embedding-shaped input with repeated ids', async () => {
    const ids = [3, 0, 3, 7, 1, 3, 9, 0];
    const x = seeded(ids.length * 5, 11);
    const [out] = await runOn(backend, () => [
      tf.unsortedSegmentSum(tf.tensor2d(x, [ids.length, 5]), tf.tensor1d(ids, 'int32'), 10),
    ]);
    expect(maxRelDiff(out, reference(x, ids, 10, 5))).toBeLessThan(1e-6);
  });

  it('takes segment ids whose shape is a prefix of x (batch × time ids)', async () => {
    const ids = [[1, 2, 1], [0, 2, 2]];
    const x = seeded(2 * 3 * 4, 5);
    const [out] = await runOn(backend, () => [
      segmentSumKernel(tf.tensor3d(x, [2, 3, 4]), tf.tensor2d(ids, [2, 3], 'int32'), 3),
    ]);
    expect(maxRelDiff(out, reference(x, ids.flat(), 3, 4))).toBeLessThan(1e-6);
  });

  it('sums int32 data exactly', async () => {
    const [out] = await runOn(backend, () => [
      tf.unsortedSegmentSum(tf.tensor1d([5, 6, 7, 8], 'int32'), tf.tensor1d([1, 1, 0, 1], 'int32'), 2),
    ]);
    expect(Array.from(out)).toEqual([7, 19]);
  });

  it('is the gradient of gather: embedding rows receive the sum of their upstream gradients', async () => {
    const table = seeded(6 * 3, 2);
    const ids = [4, 1, 4, 4, 0];
    const [grad] = await runOn(backend, () => {
      const w = tf.tensor2d(table, [6, 3]);
      const upstream = tf.tensor2d(seeded(ids.length * 3, 9), [ids.length, 3]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, 'int32')), upstream)))(w);
      return [g];
    });
    expect(maxRelDiff(grad, reference(seeded(ids.length * 3, 9), ids, 6, 3))).toBeLessThan(1e-6);
  });

  it('rejects segment ids whose shape is not a prefix of x', async () => {
    await expect(
      runOn(backend, () => [segmentSumKernel(tf.zeros([4, 2]), tf.zeros([2, 2], 'int32'), 3)]),
    ).rejects.toThrow('UnsortedSegmentSum: segmentIds shape [2,2] is not a prefix of x shape [4,2]');
  });
});
