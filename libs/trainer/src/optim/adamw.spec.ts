import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { AdamW } from './adamw';
import { clipByGlobalNorm } from './clip';
import { isDecayed } from './decay';

const made: tf.Variable[] = [];
const variable = (name: string, values: number[]): tf.Variable => {
  const v = tf.variable(tf.tensor1d(values), true, name);
  made.push(v);
  return v;
};
afterEach(() => made.splice(0).forEach((v) => v.dispose()));

/** torch.optim.AdamW on plain numbers, for reference. */
function referenceAdamW(
  p: number,
  grads: number[],
  lrs: number[],
  wd: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): number {
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    const lr = lrs[i];
    p *= 1 - lr * wd;
    m = m + (g - m) * (1 - b1);
    v = v * b2 + g * g * (1 - b2);
    p -= (lr / (1 - b1 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps));
  });
  return p;
}

describe('decay exclusions by Hugging Face name', () => {
  it('decays GPT-Neo matrices and embeddings, not biases or LayerNorm weights', () => {
    for (const n of [
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'transformer.h.0.attn.attention.q_proj.weight',
      'transformer.h.11.mlp.c_fc.weight',
      'transformer.h.3.mlp.c_proj.weight',
      'lm_head.weight',
    ]) {
      expect(isDecayed(n), n).toBe(true);
    }
    for (const n of [
      'transformer.h.0.attn.attention.out_proj.bias',
      'transformer.h.0.ln_1.weight',
      'transformer.h.0.ln_2.weight',
      'transformer.ln_f.weight',
      'transformer.ln_f.bias',
      'model.layers.0.input_layernorm.weight',
      'encoder.LayerNorm.weight',
      'model.norm.weight',
      'x.q_norm.weight',
    ]) {
      expect(isDecayed(n), n).toBe(false);
    }
  });
});

for (const onHost of [true, false]) {
  describe(`AdamW (torch.optim.AdamW semantics), ${onHost ? 'fused on the host' : 'tensor ops'}`, () => {
    it('matches the reference update over several steps with weight decay and a changing rate', () => {
      const w = variable('layer.weight', [0.5, -1.25]);
      const opt = new AdamW([w], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, onHost });
      const grads = [
        [0.3, -2],
        [0.1, 0.5],
        [-0.4, 1e-3],
      ];
      const lrs = [1e-2, 5e-3, 2e-3];
      grads.forEach((g, i) => {
        const gt = tf.tensor1d(g);
        opt.apply(new Map([['layer.weight', gt]]), lrs[i]);
        gt.dispose();
      });
      const got = w.dataSync();
      expect(got[0]).toBeCloseTo(
        referenceAdamW(
          0.5,
          grads.map((g) => g[0]),
          lrs,
          0.1,
        ),
        6,
      );
      expect(got[1]).toBeCloseTo(
        referenceAdamW(
          -1.25,
          grads.map((g) => g[1]),
          lrs,
          0.1,
        ),
        6,
      );
      expect(opt.updates).toBe(3);
      opt.dispose();
    });

    it('applies decoupled decay only to the decayed group', () => {
      const w = variable('dense.weight', [2]);
      const b = variable('dense.bias', [2]);
      const opt = new AdamW([w, b], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, onHost });
      expect(opt.decayedNames()).toEqual(['dense.weight']);
      const zero = tf.tensor1d([0]);
      opt.apply(
        new Map([
          ['dense.weight', zero],
          ['dense.bias', zero],
        ]),
        0.1,
      );
      zero.dispose();
      expect(w.dataSync()[0]).toBeCloseTo(2 * (1 - 0.1 * 0.5), 6);
      expect(b.dataSync()[0]).toBe(2);
      opt.dispose();
    });

    it(`keeps no tensors beyond ${onHost ? 'the parameters' : 'its two moments per parameter'}`, () => {
      const w = variable('w.weight', [1, 2, 3]);
      const opt = new AdamW([w], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, onHost });
      const g = tf.tensor1d([1, 1, 1]);
      opt.apply(new Map([['w.weight', g]]), 1e-3);
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) opt.apply(new Map([['w.weight', g]]), 1e-3);
      expect(tf.memory().numTensors).toBe(after1);
      g.dispose();
      opt.dispose();
      expect(tf.memory().numTensors).toBe(after1 - (onHost ? 1 : 3)); // the gradient (and both moments on the device)
    });

    it('divides by the token count and clips as clip_grad_norm_ in clipAndApply, and resumes from its state', () => {
      const make = () => [variable('a.weight', [0.5, -1]), variable('b.bias', [2])];
      const [a, b] = make();
      const opt = new AdamW([a, b], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, onHost });
      const grads = new Map([
        ['a.weight', tf.tensor1d([6, 0])],
        ['b.bias', tf.tensor1d([8])],
      ]);
      const tokens = tf.scalar(2); // divided: (3, 0, 4), norm 5, clipped to 1: (0.6, 0, 0.8)
      const norm = opt.clipAndApply(grads, tokens, 1, 1e-2);
      expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
      const coef = 1 / (5 + 1e-6);
      expect(a.dataSync()[0]).toBeCloseTo(referenceAdamW(0.5, [3 * coef], [1e-2], 0.1), 6);
      expect(b.dataSync()[0]).toBeCloseTo(referenceAdamW(2, [4 * coef], [1e-2], 0), 6);
      // a second optimizer loaded from the first's state takes the same next step
      const [a2, b2] = [
        variable('a2.weight', Array.from(a.dataSync())),
        variable('b2.bias', Array.from(b.dataSync())),
      ];
      const state = opt.state();
      const renamed = (m: typeof state.expAvg) =>
        new Map([...m].map(([n, x]) => [n.replace(/^(a|b)\./, '$12.'), x]));
      const other = new AdamW([a2, b2], {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.1,
        onHost: !onHost,
      });
      other.load({ step: state.step, expAvg: renamed(state.expAvg), expAvgSq: renamed(state.expAvgSq) });
      const next = new Map([
        ['a2.weight', tf.tensor1d([0.2, -0.4])],
        ['b2.bias', tf.tensor1d([0.1])],
      ]);
      opt.apply(
        new Map([
          ['a.weight', next.get('a2.weight') as tf.Tensor],
          ['b.bias', next.get('b2.bias') as tf.Tensor],
        ]),
        5e-3,
      );
      other.apply(next, 5e-3);
      expect(Array.from(a2.dataSync())).toEqual(Array.from(a.dataSync()).map((x) => expect.closeTo(x, 6)));
      expect(b2.dataSync()[0]).toBeCloseTo(b.dataSync()[0], 6);
      expect(other.updates).toBe(2);
      tf.dispose([...grads.values(), ...next.values(), tokens, norm]);
      opt.dispose();
      other.dispose();
    });
  });
}

describe('global-norm clipping', () => {
  it('scales all gradients by max/(norm + 1e-6) and reports the pre-clip norm', () => {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor2d([[0, 4]])],
    ]);
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
    const coef = 1 / (5 + 1e-6);
    expect(Array.from(clipped.get('a')!.dataSync())).toEqual([expect.closeTo(3 * coef, 6), 0]);
    expect(Array.from(clipped.get('b')!.dataSync())).toEqual([0, expect.closeTo(4 * coef, 6)]);
    const small = clipByGlobalNorm(grads, 10);
    expect(small.grads.get('a')!.dataSync()[0]).toBe(3);
    [...grads.values(), ...clipped.values(), ...small.grads.values(), norm, small.norm].forEach((t) =>
      t.dispose(),
    );
  });
});
