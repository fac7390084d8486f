// Parity with the real Hugging Face Trainer (transformers 4.53.2, torch): fixtures written by
// tools/golden/trainer.py. Decay groups by name, schedule values, and six clipped AdamW updates.
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdamW } from './optim/adamw';
import { isDecayed } from './optim/decay';
import { learningRateAt, type SchedulerType } from './schedules/lr-schedule';

type Nested = number | Nested[];
interface Golden {
  decay: { parameters: string[]; decayed: string[] };
  schedules: Array<{
    type: SchedulerType;
    baseLr: number;
    totalSteps: number;
    warmupSteps: number;
    lrs: number[];
  }>;
  optimizer: {
    initial: Record<string, Nested>;
    groups: Array<{ weightDecay: number; names: string[] }>;
    steps: Array<{
      grads: Record<string, Nested>;
      gradNorm: number;
      lr: number;
      params: Record<string, Nested>;
    }>;
    weightDecay: number;
    maxGradNorm: number;
  };
}

const golden = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'trainer-golden.json'), 'utf8'),
) as Golden;

const tensorOf = (v: Nested): tf.Tensor => tf.tensor(v as number[]);

describe('parity with the transformers Trainer (golden fixtures)', () => {
  it('puts exactly the parameters of get_decay_parameter_names in the decayed group (GPT-Neo)', () => {
    const ours = golden.decay.parameters.filter(isDecayed);
    expect(ours).toEqual(golden.decay.decayed);
  });

  it('gives the learning rate of every update of get_scheduler', () => {
    for (const s of golden.schedules) {
      s.lrs.forEach((lr, k) =>
        expect(learningRateAt(s, k + 1), `${s.type} W=${s.warmupSteps} update ${k + 1}`).toBeCloseTo(lr, 15),
      );
    }
  });

  for (const onHost of [true, false]) {
    it(`matches six clipped AdamW updates of Trainer.create_optimizer + clip_grad_norm_ to float32 precision (${onHost ? 'fused on the host' : 'tensor ops'})`, () => {
      const o = golden.optimizer;
      const variables = Object.entries(o.initial).map(([name, v]) => tf.variable(tensorOf(v), true, name));
      const adamw = new AdamW(variables, {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: o.weightDecay,
        onHost,
      });
      expect(adamw.decayedNames()).toEqual(o.groups.find((g) => g.weightDecay > 0)?.names);
      const schedule = { type: 'linear' as const, baseLr: 1e-2, totalSteps: 6, warmupSteps: 2 };
      // the trainer divides summed gradients by the step's token count: 4 tokens, gradients given × 4
      const tokens = tf.scalar(4);
      o.steps.forEach((step, k) => {
        const grads = new Map(Object.entries(step.grads).map(([n, g]) => [n, tf.mul(tensorOf(g), 4)]));
        const lr = learningRateAt(schedule, k + 1);
        expect(lr).toBeCloseTo(step.lr, 15);
        const norm = adamw.clipAndApply(grads, tokens, o.maxGradNorm, lr);
        expect(norm.dataSync()[0]).toBeCloseTo(step.gradNorm, 5);
        for (const v of variables) {
          const want = (tensorOf(step.params[v.name]).dataSync() as Float32Array).slice();
          const got = v.dataSync();
          want.forEach((w, i) =>
            expect(Math.abs(got[i] - w), `${v.name}[${i}] after update ${k + 1}`).toBeLessThan(5e-7),
          );
        }
        [...grads.values(), norm].forEach((t) => t.dispose());
      });
      tokens.dispose();
      adamw.dispose();
      variables.forEach((v) => v.dispose());
    });
  }
});
