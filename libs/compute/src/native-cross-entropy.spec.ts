// ftune's fused softmax cross-entropy (libs/compute/native/ftune_fused.cc; libs/model-gpt-neo/src/ops/native-kernels.ts)
// against the model's tensor-op cross-entropy on cpu: per-row losses, gradients and argmax on random shapes (one
// column, odd sizes, GPT-Neo's vocabulary width, logits far from zero), ties, the kernels tf.profile sees, and
// errors naming the argument for bad input. Native cases skip where the build lacks the ops, except with
// FTUNE_EXPECT_NATIVE=1 (CI).
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, nativeCpuBackend } from '@ftune/model-gpt-neo';
import { crossEntropy, crossEntropyAndArgmax } from '@ftune/model-gpt-neo/src/ops/cross-entropy';
import { fusedCrossEntropy, fusedKernels } from '@ftune/model-gpt-neo/src/ops/native-kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNativeOps } from './testing/native';
import { maxRelDiff, runOn, seeded } from './testing/parity';

let opsMissing: string | undefined;

beforeAll(async () => {
  opsMissing = await loadNativeOps(() => fusedKernels(), 'fused ops');
});

/** Targets spread over the vocabulary, the same for a shape everywhere. */
const targetsFor = (n: number, v: number) => Int32Array.from({ length: n }, (_, i) => (i * 7919 + 3) % v);

/** Per-row loss, d(Σ loss·u)/d logits, for logits of scale `scale` (plus an offset per row). */
function lossAndGrad(f: (x: tf.Tensor, t: tf.Tensor) => tf.Tensor, [n, v]: number[], scale: number): tf.Tensor[] {
  const x = tf.tensor(seeded(n * v, 21, scale).map((e, i) => e + (Math.floor(i / v) % 4) * 30 - 45), [n, v]);
  const t = tf.tensor1d(targetsFor(n, v), 'int32');
  const u = tf.tensor1d(seeded(n, 22, 1));
  return [tf.tidy(() => f(x, t)), tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx, t), u)))(x)];
}

describe('the fused native cross-entropy', () => {
  it('is in this build (demanded with FTUNE_EXPECT_NATIVE=1)', ({ skip }) => {
    if (process.env.FTUNE_EXPECT_NATIVE === '1') expect(opsMissing).toBeUndefined();
    if (opsMissing) return skip(opsMissing);
    expect(fusedKernels()).toBe(true);
  });

  it.each([
    { shape: [1, 1], scale: 1 },
    { shape: [3, 7], scale: 2 },
    { shape: [37, 1001], scale: 5 },
    { shape: [4, 50257], scale: 3 },
    { shape: [6, 300], scale: 40 },
  ])('$shape at scale $scale: the tensor-op path’s losses and gradient', async ({ shape, scale }) => {
    if (opsMissing) return;
    const want = await runOn('cpu', () => lossAndGrad(crossEntropy, shape, scale));
    const got = await runOn('tensorflow', () => lossAndGrad((x, t) => fusedCrossEntropy(x, t).nll, shape, scale));
    // losses of a single column are exactly 0; elsewhere relative to the largest entry
    expect(maxRelDiff(got[0], want[0])).toBeLessThan(2e-5);
    expect(maxRelDiff(got[1], want[1])).toBeLessThan(2e-5);
    if (shape[1] > 1) expect(Math.max(...want[0])).toBeGreaterThan(0.1); // real losses, not zeros on both sides
  });

  it('finds each row’s first maximum, as tf.argMax does, ties included', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const rows = [
      [1, 5, 5, 2],
      [9, 9, 9, 9],
      [-3, -1, -2, -1],
      [0, 0, 0, 7],
    ];
    const x = tf.tensor2d([...rows, ...Array.from({ length: 29 }, (_, r) => Array.from(seeded(4, 40 + r, 3)))]);
    const t = tf.tensor1d(new Int32Array(x.shape[0]), 'int32');
    const { argmax } = crossEntropyAndArgmax(x, t);
    const expected = tf.argMax(x, 1);
    expect(argmax?.dtype).toBe('int32');
    expect(Array.from((argmax as tf.Tensor).dataSync()).slice(0, 4)).toEqual([1, 0, 1, 3]);
    expect(Array.from((argmax as tf.Tensor).dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, t, argmax as tf.Tensor, expected]);
  });

  it('runs one kernel forward and one backward, keeping nothing (N, V) but the logits', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const x = tf.tensor(seeded(5 * 333, 3, 2), [5, 333]);
    const t = tf.tensor1d(targetsFor(5, 333), 'int32');
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      const g = tf.grad((xx: tf.Tensor) => tf.sum(fusedCrossEntropy(xx, t).nll))(x);
      g.dispose();
    });
    const count = (name: string) => profile.kernels.filter((k) => k.name === name).length;
    expect([count(FUSED_KERNELS.crossEntropy), count(FUSED_KERNELS.crossEntropyGrad)]).toEqual([1, 1]);
    expect(['Exp', 'Max', 'ScatterNd', 'Log'].map(count)).toEqual([0, 0, 0, 0]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, t]);
  });

  it('refuses bad input with an error naming the argument, and the process lives on', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    type Info = { id: number; shape: number[]; dtype: number };
    const native = nativeCpuBackend<Record<string, (...args: unknown[]) => Info[]>>(['ftuneCrossEntropy', 'ftuneCrossEntropyGrad']);
    if (!native) throw new Error('no native backend');
    const { binding, backend } = native;
    const kept = [
      tf.ones([3, 8]),
      tf.tensor1d([0, 7, 2], 'int32'),
      tf.tensor1d([0, 8, 2], 'int32'),
      tf.tensor1d([0, -1, 2], 'int32'),
      tf.ones([3]),
      tf.ones([4]),
      tf.ones([3, 0]),
      tf.ones([2], 'int32'),
      tf.ones([24]),
    ];
    const [logits, targets, past, negative, rowsF, four, empty, short, flat] = backend.getInputTensorIds(kept);
    const before = tf.memory().numTensors;
    const cases: Array<[string, unknown[], RegExp]> = [
      ['ftuneCrossEntropy', [logits], /ftuneCrossEntropy\(logits, targets\) takes 2 arguments/],
      ['ftuneCrossEntropy', [logits, 'x'], /ftuneCrossEntropy: targets is not a tensor id/],
      ['ftuneCrossEntropy', [logits, rowsF], /ftuneCrossEntropy: targets \(id \d+\): the tensor is not int32/],
      ['ftuneCrossEntropy', [targets, targets], /ftuneCrossEntropy: logits \(id \d+\): the tensor is not float32/],
      ['ftuneCrossEntropy', [flat, targets], /ftuneCrossEntropy: logits must have shape \[N, V\] with V >= 1, not \[24\]/],
      ['ftuneCrossEntropy', [empty, targets], /ftuneCrossEntropy: logits must have shape \[N, V\] with V >= 1, not \[3, 0\]/],
      ['ftuneCrossEntropy', [logits, short], /ftuneCrossEntropy: targets must have shape \[3\] \(one per logits row\), not \[2\]/],
      ['ftuneCrossEntropy', [logits, past], /ftuneCrossEntropy: targets\[1\] is 8, outside the vocabulary \[0, 8\)/],
      ['ftuneCrossEntropy', [logits, negative], /ftuneCrossEntropy: targets\[1\] is -1, outside the vocabulary \[0, 8\)/],
      ['ftuneCrossEntropyGrad', [logits, targets, rowsF], /takes 4 arguments/],
      ['ftuneCrossEntropyGrad', [logits, targets, four, rowsF], /ftuneCrossEntropyGrad: lse must have shape \[3\] \(one per logits row\), not \[4\]/],
      ['ftuneCrossEntropyGrad', [logits, targets, rowsF, four], /ftuneCrossEntropyGrad: dy must have shape \[3\] \(one per logits row\), not \[4\]/],
      ['ftuneCrossEntropyGrad', [logits, past, rowsF, rowsF], /ftuneCrossEntropyGrad: targets\[1\] is 8/],
    ];
    for (const [op, args, message] of cases) expect(() => binding[op](...args), `${op}(${args.join(', ')})`).toThrow(message);
    expect(tf.memory().numTensors).toBe(before); // nothing made on the way out
    const outs = binding.ftuneCrossEntropy(logits, targets).map((i) => backend.createOutputTensor(i));
    // equal logits: every loss is log 8, every argmax 0
    expect(Array.from(outs[0].dataSync()).map((v) => v.toFixed(5))).toEqual(new Array(3).fill(Math.log(8).toFixed(5)));
    expect(Array.from(outs[2].dataSync())).toEqual([0, 0, 0]);
    tf.dispose([...outs, ...kept]);
  });
});
