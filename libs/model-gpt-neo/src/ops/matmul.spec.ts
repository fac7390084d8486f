import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import { maxRelativeDiff, numericGradient } from './grad-check';
import { explicitTransposes, linear, matmul, setExplicitTransposes } from './matmul';

const FLAGS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

function operand(shape: number[], transposed: boolean, seed: number): tf.Tensor {
  const s = [...shape];
  if (transposed) [s[s.length - 2], s[s.length - 1]] = [s[s.length - 1], s[s.length - 2]];
  return tf.randomNormal(s, 0, 1, 'float32', seed);
}

describe('matmul', () => {
  afterAll(() => setExplicitTransposes(undefined));

  it('uses explicit transposes only on wasm by default', () => {
    expect(explicitTransposes()).toBe(false); // cpu backend here
  });

  for (const explicit of [true, false]) {
    for (const [label, aShape, bShape] of [
      ['rank 2', [3, 4], [4, 5]],
      ['rank 4 (attention)', [2, 2, 3, 4], [2, 2, 4, 3]],
    ] as const) {
      for (const [ta, tb] of FLAGS) {
        it(`${explicit ? 'explicit' : 'flags'}, ${label}, transposeA=${ta} transposeB=${tb}: value and gradients equal tf.matMul's`, () => {
          setExplicitTransposes(explicit);
          const a = operand([...aShape], ta, 3);
          const b = operand([...bShape], tb, 4);
          const w = tf.randomNormal([...aShape.slice(0, -1), bShape[bShape.length - 1]], 0, 1, 'float32', 5);
          const ours = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matmul(x, y, ta, tb), w)) as tf.Scalar;
          const theirs = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w)) as tf.Scalar;
          expect(maxRelativeDiff(matmul(a, b, ta, tb).dataSync(), tf.matMul(a, b, ta, tb).dataSync())).toBeLessThan(1e-6);
          const g = tf.grads(ours)([a, b]);
          const h = tf.grads(theirs)([a, b]);
          expect(maxRelativeDiff(g[0].dataSync(), h[0].dataSync())).toBeLessThan(1e-6);
          expect(maxRelativeDiff(g[1].dataSync(), h[1].dataSync())).toBeLessThan(1e-6);
          const numeric = numericGradient((x) => ours(a, x), b);
          expect(maxRelativeDiff(g[1].dataSync(), numeric)).toBeLessThan(1e-3);
        });
      }
    }
  }

  for (const [ta, tb] of FLAGS) {
    it(`transposeA=${ta} transposeB=${tb}: a frozen operand's gradient is not computed, the other's is tf.matMul's`, async () => {
      setExplicitTransposes(undefined);
      const a = operand([3, 4], ta, 6);
      const b = operand([4, 5], tb, 7);
      const w = tf.randomNormal([3, 5], 0, 1, 'float32', 8);
      const theirs = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w)) as tf.Scalar)([a, b]);
      for (const frozen of ['a', 'b'] as const) {
        const fa = tf.variable(a, frozen !== 'a'); // (initial value, trainable)
        const fb = tf.variable(b, frozen !== 'b');
        const trained = frozen === 'a' ? fb : fa;
        const loss = () => tf.sum(tf.mul(matmul(fa, fb, ta, tb), w)) as tf.Scalar;
        let grads: Record<string, tf.Tensor> = {};
        const profile = await tf.profile(() => {
          grads = tf.variableGrads(loss, [trained]).grads;
        });
        // one product forward, one backward (the trained operand's); three when both are trained
        expect(profile.kernels.filter((k) => k.name === 'BatchMatMul').length).toBe(2);
        expect(Object.keys(grads)).toEqual([trained.name]);
        const want = frozen === 'a' ? theirs[1] : theirs[0];
        expect(maxRelativeDiff(grads[trained.name].dataSync(), want.dataSync())).toBeLessThan(1e-6);
        expect(maxRelativeDiff(matmul(fa, fb, ta, tb).dataSync(), tf.matMul(a, b, ta, tb).dataSync())).toBeLessThan(1e-6);
        tf.dispose([fa, fb, ...Object.values(grads)]);
      }
    });
  }

  it('a product of two trained variables computes both gradients (three products in all)', async () => {
    const a = tf.variable(operand([3, 4], false, 9));
    const b = tf.variable(operand([4, 5], false, 10));
    let names: string[] = [];
    const profile = await tf.profile(() => {
      names = Object.keys(tf.variableGrads(() => tf.sum(matmul(a, b)) as tf.Scalar, [a, b]).grads);
    });
    expect(profile.kernels.filter((k) => k.name === 'BatchMatMul').length).toBe(3);
    expect(names.sort()).toEqual([a.name, b.name].sort());
  });

  it('linear adds the bias: (N, I) @ (I, O) + (O)', () => {
    const y = linear(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 0, 2], [0, 1, 3]]), tf.tensor1d([10, 20, 30]));
    expect(Array.from(y.dataSync())).toEqual([11, 22, 38]);
  });

  it('refuses operands of different ranks', () => {
    expect(() => matmul(tf.zeros([2, 2]), tf.zeros([1, 2, 2]))).toThrow(/same rank/);
  });
});
