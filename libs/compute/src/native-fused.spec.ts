// ftune's fused LayerNorm and gelu_new kernels (libs/compute/native/ftune_fused.cc, compiled into tfjs-node by
// scripts/install-native-tf.cjs; libs/model-gpt-neo/src/ops/native-kernels.ts) against the model's tensor-op path
// on cpu: values and gradients on random shapes (1-D to 3-D, odd sizes, several units of work, several eps),
// sums over rows that do not depend on the number of threads, and errors naming the argument for bad input.
// The native build is demanded where FTUNE_EXPECT_NATIVE=1 (CI); elsewhere a build without the ops skips the
// native cases and says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, loadModel, nativeCpuBackend } from '@ftune/model-gpt-neo';
import { fusedGelu, fusedKernels, fusedLayerNorm } from '@ftune/model-gpt-neo/src/ops/native-kernels';
import { gelu, layerNorm } from '@ftune/model-gpt-neo/src/ops/norm-gelu';
import { GOLDEN_DIR, goldenBatch, goldenGradNames, goldenLayoutGrads, openGolden } from '@ftune/model-gpt-neo/src/testing/golden';
import { relativeError } from '@ftune/model-gpt-neo/src/testing/relative-error';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeNative } from './backends';
import { loadNativeOps } from './testing/native';
import { maxRelDiff, runOn, seeded } from './testing/parity';

const nativeMissing = probeNative();
let opsMissing: string | undefined = nativeMissing;

beforeAll(async () => {
  opsMissing = await loadNativeOps(() => fusedKernels(), 'fused ops');
});

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Loss Σ f(x)·u: its value's inputs and gradients, read back. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], upstream: tf.Tensor): tf.Tensor[] {
  const y = tf.tidy(() => f(...inputs));
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), upstream)))(inputs);
  return [y, ...grads];
}

interface LayerNormCase {
  shape: number[];
  eps: number;
}

// rows × C: one row; odd sizes; 3-D; rows of several units of work (units are about 16k elements); wide rows
const LAYER_NORM_CASES: LayerNormCase[] = [
  { shape: [7], eps: 1e-5 },
  { shape: [3, 5], eps: 1e-5 },
  { shape: [2, 3, 17], eps: 0.3 },
  { shape: [5, 13, 64], eps: 1e-5 },
  { shape: [600, 33], eps: 1e-2 },
  { shape: [2, 21, 1000], eps: 1e-5 },
  { shape: [3, 20000], eps: 1e-6 },
];

function layerNormInputs({ shape }: LayerNormCase, seed: number): tf.Tensor[] {
  const c = shape[shape.length - 1];
  // rows with an offset and a scale of their own, so mean and variance matter
  const x = seeded(size(shape), seed, 2).map((v, i) => v * (1 + (Math.floor(i / c) % 5)) + (Math.floor(i / c) % 3) - 1);
  return [tf.tensor(x, shape), tf.tensor(seeded(c, seed + 1, 1.5), [c]), tf.tensor(seeded(c, seed + 2, 0.5), [c]), tf.tensor(seeded(size(shape), seed + 3, 1), shape)];
}

describe('the fused native LayerNorm and gelu_new', () => {
  it('are in this build (demanded with FTUNE_EXPECT_NATIVE=1)', ({ skip }) => {
    if (process.env.FTUNE_EXPECT_NATIVE === '1') expect(opsMissing).toBeUndefined();
    if (opsMissing) return skip(opsMissing);
    expect(fusedKernels()).toBe(true);
  });

  it.each(LAYER_NORM_CASES)('LayerNorm $shape (eps $eps): the tensor-op path’s output and gradients for x, weight and bias', async (c) => {
    if (opsMissing) return;
    const run = (backend: string, f: typeof layerNorm) =>
      runOn(backend, () => {
        const [x, w, b, u] = layerNormInputs(c, 11 + c.shape.length);
        return valueAndGrads((xx, ww, bb) => f(xx, ww, bb, c.eps), [x, w, b], u);
      });
    const want = await run('cpu', layerNorm);
    const got = await run('tensorflow', fusedLayerNorm);
    const names = ['y', 'dx', 'dweight', 'dbias'];
    const worst = got.map((g, i) => [names[i], maxRelDiff(g, want[i])] as const);
    expect(worst.filter(([, d]) => d > 2e-5)).toEqual([]);
    // the normalised rows really are normalised: not two copies of something else
    expect(Math.max(...want[0].slice(0, 3).map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it.each([[[1]], [[5, 7]], [[2, 3, 50001]]])('gelu_new %j: the tensor-op path’s value and gradient, far into both tails', async (shape) => {
    if (opsMissing) return;
    const run = (backend: string, f: typeof gelu) =>
      runOn(backend, () => {
        const x = tf.tensor(seeded(size(shape), 5, 12), shape);
        return valueAndGrads(f, [x], tf.tensor(seeded(size(shape), 6, 1), shape));
      });
    const want = await run('cpu', gelu);
    const got = await run('tensorflow', fusedGelu);
    expect(maxRelDiff(got[0], want[0])).toBeLessThan(2e-6);
    expect(maxRelDiff(got[1], want[1])).toBeLessThan(1e-5);
  });

  it('gives gelu_new of 1 and −2 (0.8411920, −0.0454023) and its tails', async () => {
    if (opsMissing) return;
    const [y] = await runOn('tensorflow', () => [fusedGelu(tf.tensor1d([1, -2, 40, -40, 0]))]);
    expect(y[0]).toBeCloseTo(0.841192, 6);
    expect(y[1]).toBeCloseTo(-0.0454023, 6);
    expect(y[2]).toBe(40);
    expect(Math.abs(y[3])).toBeLessThan(1e-30);
    expect(y[4]).toBe(0);
  });

  it('run as one kernel each way, as tf.profile reports them, in place of the composed ops', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const [x, w, b, u] = layerNormInputs({ shape: [4, 9], eps: 1e-5 }, 3);
    const profile = await tf.profile(() => {
      tf.dispose(valueAndGrads((xx, ww, bb) => fusedGelu(fusedLayerNorm(xx, ww, bb, 1e-5)), [x, w, b], u));
    });
    const count = (name: string) => profile.kernels.filter((k) => k.name === name).length;
    // forward twice (the value, then under tf.grads), backward once
    const { layerNorm, layerNormGrad, gelu, geluGrad } = FUSED_KERNELS;
    expect([layerNorm, layerNormGrad, gelu, geluGrad].map(count)).toEqual([2, 1, 2, 1]);
    expect(['Mean', 'Tanh', 'Rsqrt', 'Sub'].map(count)).toEqual([0, 0, 0, 0]);
    tf.dispose([x, w, b, u]);
  });

  it('normalises empty leading axes to empty outputs, with zero weight and bias gradients', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const [y, dx, dw, db] = tf.tidy(() => valueAndGrads((x, w, b) => fusedLayerNorm(x, w, b, 1e-5), [tf.zeros([0, 4]), tf.ones([4]), tf.ones([4])], tf.zeros([0, 4])));
    expect([y.shape, dx.shape, dw.shape, db.shape]).toEqual([[0, 4], [0, 4], [4], [4]]);
    expect([...dw.dataSync(), ...db.dataSync()]).toEqual(new Array(8).fill(0));
    tf.dispose([y, dx, dw, db]);
  });

  it('keeps no tensors beyond its outputs, forward and backward', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const [x, w, b, u] = layerNormInputs({ shape: [4, 9], eps: 1e-5 }, 3);
    const before = tf.memory().numTensors;
    const outs = valueAndGrads((xx, ww, bb) => fusedGelu(fusedLayerNorm(xx, ww, bb, 1e-5)), [x, w, b], u);
    expect(tf.memory().numTensors).toBe(before + 4);
    tf.dispose([...outs, x, w, b, u]);
  });

  it('sums the weight and bias gradients over rows in the same order on one thread as on all of them', async ({ skip }) => {
    if (opsMissing) return;
    const taskset = spawnSync('taskset', ['-c', '0', 'true']);
    if (taskset.status !== 0) return skip('taskset cannot pin a process to one CPU here');
    const [rows, cols] = [2000, 40]; // five units of work of 409 rows
    const inputs = [seeded(rows * cols, 1, 1), seeded(rows * cols, 2, 3), seeded(cols, 3, 1), seeded(rows, 4, 0.5), seeded(rows, 5, 1).map((v) => 1 + Math.abs(v))];
    const here = (): string => {
      const shapes = [[rows, cols], [rows, cols], [cols], [rows], [rows]];
      const ts = inputs.map((v, i) => tf.tensor(v, shapes[i]));
      const native = nativeCpuBackend<{ ftuneLayerNormGrad(...ids: number[]): Array<{ id: number; shape: number[]; dtype: number }> }>(['ftuneLayerNormGrad']);
      const outs = (native?.binding.ftuneLayerNormGrad(...(native?.backend.getInputTensorIds(ts) ?? [])) ?? []).map((i) => native?.backend.createOutputTensor(i) as tf.Tensor);
      const text = Buffer.concat([outs[1], outs[2]].map((t) => Buffer.from((t.dataSync() as Float32Array).buffer))).toString('base64');
      tf.dispose([...ts, ...outs]);
      return text;
    };
    await tf.setBackend('tensorflow');
    const all = here();
    expect(here()).toBe(all); // and again, threads taking other units
    const dir = mkdtempSync(join(tmpdir(), 'ftune-fused-'));
    try {
      const file = join(dir, 'inputs.bin');
      writeFileSync(file, Buffer.concat(inputs.map((v) => Buffer.from(v.buffer))));
      const child = [
        "const tf = require('@tensorflow/tfjs-node'); const fs = require('node:fs');",
        `const raw = fs.readFileSync(${JSON.stringify(file)}); const [R, C] = [${rows}, ${cols}];`,
        'const sizes = [R * C, R * C, C, R, R]; const shapes = [[R, C], [R, C], [C], [R], [R]]; let at = 0;',
        'const ts = sizes.map((n, i) => { const t = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset + at * 4, n).slice(), shapes[i]); at += n; return t; });',
        'const b = tf.backend(); const outs = b.binding.ftuneLayerNormGrad(...b.getInputTensorIds(ts)).map((i) => b.createOutputTensor(i));',
        'process.stdout.write(Buffer.concat([outs[1], outs[2]].map((t) => Buffer.from(t.dataSync().buffer))).toString("base64"));',
      ].join('\n');
      const one = spawnSync('taskset', ['-c', '0', process.execPath, '-e', child], { encoding: 'utf8', maxBuffer: 16 << 20 });
      expect(one.status, one.stderr).toBe(0);
      expect(one.stdout).toBe(all);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad input with an error naming the argument, and the process lives on', async () => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    type Info = { id: number; shape: number[]; dtype: number };
    const native = nativeCpuBackend<Record<string, (...args: unknown[]) => Info[]>>(['ftuneLayerNorm', 'ftuneLayerNormGrad', 'ftuneGeluNew', 'ftuneGeluNewGrad']);
    if (!native) throw new Error('no native backend');
    const { binding, backend } = native;
    const gone = tf.ones([8]);
    const kept = [tf.ones([3, 8]), tf.ones([8]), tf.zeros([8]), tf.ones([8], 'int32'), gone, tf.ones([3]), tf.ones([9]), tf.scalar(1), tf.ones([3, 0])];
    const [ix, iw, ib, iint, igone, rows, wide, scalar, empty] = backend.getInputTensorIds(kept);
    gone.dispose();
    const before = tf.memory().numTensors;
    const cases: Array<[string, unknown[], RegExp]> = [
      ['ftuneLayerNorm', [ix, iw, ib], /ftuneLayerNorm\(x, weight, bias, eps\) takes 4 arguments/],
      ['ftuneLayerNorm', ['a', iw, ib, 1e-5], /ftuneLayerNorm: x is not a tensor id/],
      ['ftuneLayerNorm', [ix, 1.5, ib, 1e-5], /ftuneLayerNorm: weight is not a tensor id/],
      ['ftuneLayerNorm', [ix, iw, 2 ** 40, 1e-5], /ftuneLayerNorm: bias is not a tensor id/],
      ['ftuneLayerNorm', [ix, igone, ib, 1e-5], /ftuneLayerNorm: weight \(id \d+\): no live tensor has this id/],
      ['ftuneLayerNorm', [ix, iint, ib, 1e-5], /ftuneLayerNorm: weight \(id \d+\): the tensor is not float32/],
      ['ftuneLayerNorm', [ix, iw, wide, 1e-5], /ftuneLayerNorm: bias must have shape \[8\] \(x's last axis\), not \[9\]/],
      ['ftuneLayerNorm', [scalar, iw, ib, 1e-5], /ftuneLayerNorm: x must have a non-empty last axis, not shape \[\]/],
      ['ftuneLayerNorm', [empty, iw, ib, 1e-5], /ftuneLayerNorm: x must have a non-empty last axis, not shape \[3, 0\]/],
      ['ftuneLayerNorm', [ix, iw, ib, NaN], /ftuneLayerNorm: eps must be a finite number >= 0/],
      ['ftuneLayerNorm', [ix, iw, ib, -1], /ftuneLayerNorm: eps must be a finite number >= 0/],
      ['ftuneLayerNorm', [ix, iw, ib, '1e-5'], /ftuneLayerNorm: eps must be a finite number >= 0/],
      ['ftuneLayerNormGrad', [ix, ix, iw, rows], /takes 5 arguments/],
      ['ftuneLayerNormGrad', [iw, ix, iw, rows, rows], /ftuneLayerNormGrad: dy must have shape \[3, 8\] \(x's shape\), not \[8\]/],
      ['ftuneLayerNormGrad', [ix, ix, iw, iw, rows], /ftuneLayerNormGrad: mean must have shape \[3\] \(x's leading axes\), not \[8\]/],
      ['ftuneLayerNormGrad', [ix, ix, iw, rows, iint], /ftuneLayerNormGrad: rstd \(id \d+\): the tensor is not float32/],
      ['ftuneGeluNew', [], /ftuneGeluNew\(x\) takes 1 arguments/],
      ['ftuneGeluNew', [iint], /ftuneGeluNew: x \(id \d+\): the tensor is not float32/],
      ['ftuneGeluNewGrad', [iw, ix], /ftuneGeluNewGrad: dy must have shape \[3, 8\] \(x's shape\), not \[8\]/],
      ['ftuneGeluNewGrad', [ix, igone], /ftuneGeluNewGrad: x \(id \d+\): no live tensor has this id/],
    ];
    for (const [op, args, message] of cases) expect(() => binding[op](...args), `${op}(${args.join(', ')})`).toThrow(message);
    expect(tf.memory().numTensors).toBe(before); // nothing made on the way out
    const [ok] = binding.ftuneLayerNorm(ix, iw, ib, 1e-5).map((i) => backend.createOutputTensor(i));
    expect(Array.from(ok.dataSync())).toEqual(new Array(24).fill(0)); // a constant row normalises to 0 (then + bias)
    tf.dispose([ok, ...kept]);
  });
});

describe('GPT-Neo against transformers (golden fixtures) on the native backend, through the fused kernels', () => {
  it.each(['right', 'left'])('%s-padded batch: logits and loss within 1e-4, gradients within 1e-3', async (side) => {
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const golden = openGolden();
    const model = loadModel(join(GOLDEN_DIR, 'tiny'));
    try {
      const batch = goldenBatch(golden, side);
      const names = goldenGradNames(golden);
      let logits: Float32Array = new Float32Array(0);
      let loss = NaN;
      let grads: Float32Array[] = [];
      const profile = await tf.profile(() => {
        logits = tf.tidy(() => model.logits(batch).dataSync() as Float32Array);
        loss = model.loss(batch);
        grads = goldenLayoutGrads(model, batch, names);
      });
      expect(Object.values(FUSED_KERNELS).filter((k) => !profile.kernelNames.includes(k))).toEqual([]);
      expect(relativeError(logits, golden.readFloat32(`${side}.logits`))).toBeLessThan(1e-4);
      const want = golden.readFloat32(`${side}.loss`)[0];
      expect(Math.abs(loss - want) / want).toBeLessThan(1e-4);
      const worst = names.map((n, i) => [n, relativeError(grads[i], golden.readFloat32(`${side}.grad.${n}`))] as const);
      expect(worst.filter(([, e]) => e > 1e-3)).toEqual([]);
    } finally {
      model.dispose();
      golden.close();
    }
  });
});

describe('without the fused ops', () => {
  it('the cpu backend has none, and neither has a native binding built without them', async ({ skip }) => {
    await tf.setBackend('cpu');
    expect(fusedKernels()).toBe(false);
    if (nativeMissing) return skip(nativeMissing);
    await tf.setBackend('tensorflow');
    const backend = tf.backend() as unknown as { binding: Record<string, unknown> };
    const names = Object.getOwnPropertyNames(backend.binding);
    const older = Object.fromEntries(names.filter((n) => !n.startsWith('ftune')).map((n) => [n, backend.binding[n]]));
    const olderBackend = new Proxy(backend, { get: (t, key) => (key === 'binding' ? older : Reflect.get(t, key)) });
    expect(nativeCpuBackend(['ftuneLayerNorm'], olderBackend)).toBeUndefined();
    if (!opsMissing) expect(nativeCpuBackend(['ftuneLayerNorm'], backend)).toBeDefined();
  });
});
