// ftune's native ops (libs/compute/native, compiled into tfjs-node by scripts/install-native-tf.cjs) as the
// trainer's AdamW uses them: the fused in-place step against the tensor-op step on random tensors, memory that
// other tensors share left untouched, and the fallback to tensor ops where the ops are absent. The native
// build is demanded where FTUNE_EXPECT_NATIVE=1 (CI, after npm ci); elsewhere a build without the ops skips
// the native cases and says so.
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, nativeOps } from '@ftune/trainer';
import { replayGoldenAdamW } from '@ftune/trainer/src/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeNative } from './backends';
import { loadNativeOps } from './testing/native';
import { maxRelDiff, seeded } from './testing/parity';

const nativeMissing = probeNative();
let opsMissing: string | undefined = nativeMissing;

beforeAll(async () => {
  opsMissing = await loadNativeOps(() => nativeOps() !== undefined, 'ftune ops');
});

// names decide the decay group: matrices decay, biases and LayerNorm weights do not
const SHAPES: Record<string, number[]> = {
  'transformer.wte.weight': [300, 48],
  'transformer.h.0.attn.attention.q_proj.weight': [48, 48],
  'transformer.h.0.mlp.c_fc.bias': [192],
  'transformer.ln_f.weight': [48],
  'transformer.h.0.mlp.c_proj.weight': [192, 48],
};
const CONFIG = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

function makeVariables(): tf.Variable[] {
  return Object.entries(SHAPES).map(([name, shape], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(seeded(n, 100 + i, 0.5), shape), true, name);
  });
}

/** Gradient sums of step k (as the trainer accumulates them: × the token count), large enough on some steps to clip. */
function gradsOf(k: number, tokens: number): Map<string, tf.Tensor> {
  const scale = (k % 2 === 0 ? 0.002 : 0.2) * tokens;
  return new Map(
    Object.entries(SHAPES).map(([name, shape], i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return [name, tf.tensor(seeded(n, 1000 * (k + 1) + i, scale), shape)];
    }),
  );
}

/** Runs `steps` clipped updates; returns the norms, the final parameters and moments. */
function train(native: boolean, steps: number): { path: string; norms: number[]; values: Map<string, Float32Array> } {
  const variables = makeVariables();
  const adamw = new AdamW(variables, { ...CONFIG, onHost: false, native });
  const tokens = 7;
  const divisor = tf.scalar(tokens);
  const norms: number[] = [];
  for (let k = 0; k < steps; k++) {
    const grads = gradsOf(k, tokens);
    const norm = adamw.clipAndApply(grads, divisor, 1.0, 1e-2 * (1 - k / (steps + 1)));
    norms.push(norm.dataSync()[0]);
    tf.dispose([...grads.values(), norm]);
  }
  const values = new Map(variables.map((v) => [v.name, v.dataSync() as Float32Array]));
  const state = adamw.state();
  for (const [name, m] of state.expAvg) values.set(`m:${name}`, m.data);
  for (const [name, s] of state.expAvgSq) values.set(`v:${name}`, s.data);
  const path = adamw.path;
  divisor.dispose();
  adamw.dispose();
  variables.forEach((v) => v.dispose());
  return { path, norms, values };
}

describe('the native fused AdamW step', () => {
  it('is in this build (demanded with FTUNE_EXPECT_NATIVE=1)', ({ skip }) => {
    if (process.env.FTUNE_EXPECT_NATIVE === '1') expect(opsMissing).toBeUndefined();
    if (opsMissing) skip(opsMissing);
    expect(nativeOps()).toBeDefined();
  });

  it('gives the tensor-op path’s norms, parameters and moments over six clipped, decayed steps', async ({ skip }) => {
    if (opsMissing) return skip(opsMissing);
    await tf.setBackend('tensorflow');
    const fused = train(true, 6);
    const ops = train(false, 6);
    expect([fused.path, ops.path]).toEqual(['native', 'tensor-ops']);
    expect(Math.max(...ops.norms)).toBeGreaterThan(1); // clipping engaged on some steps
    expect(Math.min(...ops.norms)).toBeLessThan(1); // and not on others
    fused.norms.forEach((n, k) => expect(Math.abs(n - ops.norms[k]) / ops.norms[k], `norm ${k}`).toBeLessThan(1e-5));
    expect([...fused.values.keys()]).toEqual([...ops.values.keys()]);
    const worst = [...fused.values].map(([name, v]) => [name, maxRelDiff(v, ops.values.get(name) as Float32Array)] as const);
    expect(worst.filter(([, d]) => d > 1e-6)).toEqual([]);
    // and the parameters moved: the comparison is not between two untouched copies
    expect(maxRelDiff(fused.values.get('transformer.wte.weight') as Float32Array, seeded(300 * 48, 100, 0.5))).toBeGreaterThan(1e-3);
  });

  it('leaves memory that other tensors share unchanged, and keeps no tensors beyond its moments', async ({ skip }) => {
    if (opsMissing) return skip(opsMissing);
    await tf.setBackend('tensorflow');
    const initial = seeded(64, 7, 1);
    const source = initial.slice(); // tf.tensor keeps this array's memory on the native backend
    const w = tf.variable(tf.tensor(source, [8, 8]), true, 'transformer.h.0.mlp.c_fc.weight');
    const clone = w.clone(); // the same dataId as the variable
    const adamw = new AdamW([w], { ...CONFIG, onHost: false });
    expect(adamw.path).toBe('native');
    const step = () => {
      const grads = new Map([['transformer.h.0.mlp.c_fc.weight', tf.ones([8, 8])]]);
      const tokens = tf.scalar(1);
      tf.dispose(adamw.clipAndApply(grads, tokens, 0, 0.1));
      tf.dispose([...grads.values(), tokens]);
    };
    step();
    const reshaped = tf.reshape(w, [64]); // TensorFlow's Reshape shares the variable's memory
    step();
    const after = w.dataSync();
    expect(after[0]).toBeLessThan(initial[0] - 0.1); // moved against the gradient
    expect(Array.from(source)).toEqual(Array.from(initial));
    expect(Array.from(clone.dataSync())).toEqual(Array.from(initial));
    const beforeSecond = reshaped.dataSync();
    expect(Array.from(beforeSecond)).not.toEqual(Array.from(after)); // the alias kept the values of its time
    tf.dispose([clone, reshaped]);
    const count = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(count);
    adamw.dispose();
    w.dispose();
  });

  it('refuses mismatched tensors, naming which', async ({ skip }) => {
    if (opsMissing) return skip(opsMissing);
    await tf.setBackend('tensorflow');
    const ops = nativeOps();
    const [p, g, m, v, g4] = [tf.zeros([4]), tf.zeros([5]), tf.zeros([4]), tf.zeros([4]), tf.zeros([4])].map((t) => {
      const c = ops?.privateCopy(t) as tf.Tensor;
      t.dispose();
      return c;
    });
    const scalars = { beta1: 0.9, beta2: 0.999, c1: 0.1, c2: 0.001, stepSize: 0.1, epsHat: 1e-8 };
    expect(() => ops?.adamW([p], [g], [m], [v], [1], scalars)).toThrow(/grads\[0\] has 5 elements, params\[0\] 4/);
    expect(() => ops?.adamW([p], [g4], [p], [v], [1], scalars)).toThrow(/given twice/);
    expect(() => ops?.adamW([p], [m], [m], [v], [1], scalars)).toThrow(/gradient id \d+ is also written/);
    tf.dispose([p, g, m, v, g4]);
  });
});

describe('without the native ops', () => {
  it('AdamW falls back to the tensor ops on the cpu backend, with the same result', async () => {
    await tf.setBackend('cpu');
    expect(nativeOps()).toBeUndefined();
    const cpu = train(true, 3); // asks for the native step; there is none
    expect(cpu.path).toBe('tensor-ops');
    if (opsMissing) return;
    await tf.setBackend('tensorflow');
    const fused = train(true, 3);
    const worst = [...fused.values].map(([name, v]) => [name, maxRelDiff(v, cpu.values.get(name) as Float32Array)] as const);
    expect(worst.filter(([, d]) => d > 1e-5)).toEqual([]);
  });

  it('finds none on a native binding built without them (an older build)', async ({ skip }) => {
    if (nativeMissing) return skip(nativeMissing);
    await tf.setBackend('tensorflow');
    const backend = tf.backend() as unknown as { binding: Record<string, unknown> };
    const names = Object.getOwnPropertyNames(backend.binding);
    expect(names).toContain('executeOp');
    const older = Object.fromEntries(names.filter((n) => !n.startsWith('ftune')).map((n) => [n, backend.binding[n]]));
    const olderBackend = new Proxy(backend, { get: (t, key) => (key === 'binding' ? older : Reflect.get(t, key)) });
    expect(nativeOps(olderBackend)).toBeUndefined();
    if (!opsMissing) expect(nativeOps(backend)).toBeDefined(); // the same backend with them
  });
});

describe('parity with the transformers Trainer on the native step (golden fixtures)', () => {
  it('matches six clipped AdamW updates of Trainer.create_optimizer + clip_grad_norm_ to float32 precision', async ({ skip }) => {
    if (opsMissing) return skip(opsMissing);
    await tf.setBackend('tensorflow');
    const run = replayGoldenAdamW({ onHost: false });
    expect(run.path).toBe('native');
    run.steps.forEach((step, k) => {
      expect(step.norm).toBeCloseTo(step.wantNorm, 5);
      expect(step.worst.diff, `${step.worst.at} after update ${k + 1}`).toBeLessThan(5e-7);
    });
  });
});
