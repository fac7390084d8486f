// ftune's fused attention softmax (softmax(scores + bias) and its gradient: libs/compute/native/ftune_fused.cc;
// libs/model-gpt-neo/src/ops/attention-softmax.ts) against tf.softmax(tf.add(...)) on cpu: values and gradients
// for the bias shapes the model builds (per batch row, shared by a bucket, a plain matrix), masks of finfo.min and
// −∞ including rows with no allowed key, one kernel each way, and errors naming the argument. Native cases skip
// where the build lacks the ops, except with FTUNE_EXPECT_NATIVE=1 (CI).
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, nativeCpuBackend } from '@ftune/model-gpt-neo';
import { fusedKernels, fusedMaskedSoftmax, fusedMaskedSoftmaxFits } from '@ftune/model-gpt-neo/src/ops/native-kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNativeOps } from './testing/native';
import { maxRelDiff, runOn, seeded } from './testing/parity';

let opsMissing: string | undefined;

beforeAll(async () => {
  opsMissing = await loadNativeOps(() => fusedKernels(), 'fused ops');
});

const MIN = -3.4028234663852886e38; // float32's finfo.min, as the model's masks use

/** A causal mask (T, S) with −∞ above the diagonal, finfo.min left of a window, and one fully masked row. */
function maskValues(t: number, s: number, seed: number): Float32Array {
  const out = new Float32Array(t * s);
  for (let q = 0; q < t; q++) {
    for (let k = 0; k < s; k++) {
      const future = k > q + (s - t);
      out[q * s + k] = future ? -Infinity : k + 3 < q ? MIN : (seed + q + k) % 7 === 0 ? MIN : 0;
    }
  }
  if (t > 2) out.fill(MIN, s, 2 * s); // row 1: no allowed key, every entry finfo.min (HF's uniform row)
  return out;
}

function valueAndGrad(f: (x: tf.Tensor, b: tf.Tensor) => tf.Tensor, shape: number[], biasShape: number[]): tf.Tensor[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const [t, s] = shape.slice(-2);
  const x = tf.tensor(seeded(n, 31, 4), shape);
  const lead = biasShape.slice(0, -2).reduce((a, b) => a * b, 1);
  const bias = tf.tensor(Float32Array.from({ length: lead * t * s }, (_, i) => maskValues(t, s, Math.floor(i / (t * s)))[i % (t * s)]), biasShape);
  const u = tf.tensor(seeded(n, 32, 1), shape);
  return [tf.tidy(() => f(x, bias)), tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx, bias), u)))(x)];
}

const reference = (x: tf.Tensor, b: tf.Tensor) => tf.softmax(tf.add(x, b));

describe('the fused native attention softmax', () => {
  it('is in this build (demanded with FTUNE_EXPECT_NATIVE=1)', ({ skip }) => {
    if (process.env.FTUNE_EXPECT_NATIVE === '1') expect(opsMissing).toBeUndefined();
    if (opsMissing) return skip(opsMissing);
    expect(fusedKernels()).toBe(true);
  });

  it.each([
    { shape: [2, 3, 5, 5], bias: [2, 1, 5, 5] },
    { shape: [3, 4, 9, 9], bias: [1, 1, 9, 9] },
    { shape: [1, 12, 40, 40], bias: [1, 1, 40, 40] },
    { shape: [2, 2, 3, 70], bias: [2, 1, 3, 70] },
    { shape: [6, 17], bias: [6, 17] },
  ])('scores $shape, bias $bias: tf.softmax(scores + bias)’s values and gradient', async ({ shape, bias }) => {
    if (opsMissing) return;
    expect(fusedMaskedSoftmaxFits(tf.zeros(shape), tf.zeros(bias))).toBe(true);
    const want = await runOn('cpu', () => valueAndGrad(reference, shape, bias));
    const got = await runOn('tensorflow', () => valueAndGrad(fusedMaskedSoftmax, shape, bias));
    expect(maxRelDiff(got[0], want[0])).toBeLessThan(2e-6);
    expect(maxRelDiff(got[1], want[1])).toBeLessThan(2e-5);
    // exact zeros where the mask is −∞ or far below the row's best key, as the reference has them
    expect(Array.from(got[0]).map((v, i) => (want[0][i] === 0 ? v : 0))).toEqual(new Array(got[0].length).fill(0));
  });

  it('gives NaN for a row whose every key is −∞, as tf.softmax does', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const y = fusedMaskedSoftmax(tf.zeros([2, 3]), tf.tensor2d([[0, -Infinity, 0], [-Infinity, -Infinity, -Infinity]]));
    const v = Array.from(y.dataSync());
    expect(v.slice(0, 3)).toEqual([0.5, 0, 0.5]);
    expect(v.slice(3).every(Number.isNaN)).toBe(true);
    y.dispose();
  });

  it('runs one kernel forward and one backward, in place of Add, Softmax and the composed gradient', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const x = tf.tensor(seeded(2 * 3 * 4 * 4, 3, 2), [2, 3, 4, 4]);
    const b = tf.zeros([2, 1, 4, 4]);
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(fusedMaskedSoftmax(xx, b), xx)))(x).dispose();
    });
    const count = (name: string) => profile.kernels.filter((k) => k.name === name).length;
    expect([count(FUSED_KERNELS.maskedSoftmax), count(FUSED_KERNELS.softmaxGrad)]).toEqual([1, 1]);
    expect(['Softmax', 'Sub'].map(count)).toEqual([0, 0]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, b]);
  });

  it('refuses bad input with an error naming the argument, and the process lives on', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    type Info = { id: number; shape: number[]; dtype: number };
    const native = nativeCpuBackend<Record<string, (...args: unknown[]) => Info[]>>(['ftuneMaskedSoftmax', 'ftuneSoftmaxGrad']);
    if (!native) throw new Error('no native backend');
    const { binding, backend } = native;
    const kept = [tf.ones([2, 3, 4, 5]), tf.zeros([2, 1, 4, 5]), tf.zeros([3, 1, 4, 5]), tf.zeros([4, 4]), tf.ones([5]), tf.ones([2, 1, 4, 5], 'int32'), tf.ones([2, 3, 4, 4])];
    const [scores, bias, badLead, badLast, vector, ints, other] = backend.getInputTensorIds(kept);
    const before = tf.memory().numTensors;
    const cases: Array<[string, unknown[], RegExp]> = [
      ['ftuneMaskedSoftmax', [scores], /ftuneMaskedSoftmax\(scores, bias\) takes 2 arguments/],
      ['ftuneMaskedSoftmax', [scores, null], /ftuneMaskedSoftmax: bias is not a tensor id/],
      ['ftuneMaskedSoftmax', [scores, ints], /ftuneMaskedSoftmax: bias \(id \d+\): the tensor is not float32/],
      ['ftuneMaskedSoftmax', [vector, vector], /ftuneMaskedSoftmax: scores must have shape \[\.\.\., T, S\] with S >= 1, not \[5\]/],
      ['ftuneMaskedSoftmax', [scores, badLead], /ftuneMaskedSoftmax: bias of shape \[3, 1, 4, 5\] does not broadcast to scores \[2, 3, 4, 5\]/],
      ['ftuneMaskedSoftmax', [scores, badLast], /does not broadcast to scores \[2, 3, 4, 5\] over their last two axes/],
      ['ftuneSoftmaxGrad', [scores, other], /ftuneSoftmaxGrad: dy must have shape \[2, 3, 4, 4\] \(y's shape\), not \[2, 3, 4, 5\]/],
    ];
    for (const [op, args, message] of cases) expect(() => binding[op](...args), `${op}(${args.join(', ')})`).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
    const [y] = binding.ftuneMaskedSoftmax(scores, bias).map((i) => backend.createOutputTensor(i));
    expect(Array.from(y.dataSync()).every((v) => Math.abs(v - 0.2) < 1e-7)).toBe(true); // equal scores: uniform
    tf.dispose([y, ...kept]);
  });
});
