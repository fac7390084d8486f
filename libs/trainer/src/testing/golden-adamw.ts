// The golden optimizer fixture (tools/golden/trainer.py: six clipped AdamW updates of the transformers
// Trainer) replayed through ftune's AdamW on the active backend, for the specs of each update path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, type AdamWConfig } from '../optim/adamw';
import { learningRateAt } from '../schedules/lr-schedule';

type Nested = number | Nested[];
export interface GoldenOptimizer {
  initial: Record<string, Nested>;
  groups: Array<{ weightDecay: number; names: string[] }>;
  steps: Array<{ grads: Record<string, Nested>; gradNorm: number; lr: number; params: Record<string, Nested> }>;
  weightDecay: number;
  maxGradNorm: number;
}

/** The trainer fixture (libs/trainer/fixtures/trainer-golden.json), parsed. */
export function readTrainerGolden<T = { optimizer: GoldenOptimizer }>(): T {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'trainer-golden.json'), 'utf8')) as T;
}

export interface GoldenStepResult {
  lr: number;
  wantLr: number;
  norm: number;
  wantNorm: number;
  /** Largest |ours − theirs| over every parameter value after the update, with where it is. */
  worst: { diff: number; at: string };
}

/** Replays the fixture's updates with `config` (decay and betas from the fixture); returns what each gave. */
export function replayGoldenAdamW(
  config: Pick<AdamWConfig, 'onHost' | 'native'>,
): { path: AdamW['path']; decayedNames: string[]; steps: GoldenStepResult[] } {
  const o = readTrainerGolden().optimizer;
  const tensorOf = (v: Nested): tf.Tensor => tf.tensor(v as number[]);
  const variables = Object.entries(o.initial).map(([name, v]) => tf.variable(tensorOf(v), true, name));
  const adamw = new AdamW(variables, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: o.weightDecay, ...config });
  const schedule = { type: 'linear' as const, baseLr: 1e-2, totalSteps: 6, warmupSteps: 2 };
  // the trainer divides summed gradients by the step's token count: 4 tokens, gradients given × 4
  const tokens = tf.scalar(4);
  const steps = o.steps.map((step, k): GoldenStepResult => {
    const grads = new Map(Object.entries(step.grads).map(([n, g]) => [n, tf.mul(tensorOf(g), 4)]));
    const lr = learningRateAt(schedule, k + 1);
    const norm = adamw.clipAndApply(grads, tokens, o.maxGradNorm, lr);
    const worst = { diff: 0, at: '' };
    for (const v of variables) {
      const want = tensorOf(step.params[v.name]);
      const got = v.dataSync();
      want.dataSync().forEach((w, i) => {
        const diff = Math.abs(got[i] - w);
        if (diff > worst.diff) Object.assign(worst, { diff, at: `${v.name}[${i}]` });
      });
      want.dispose();
    }
    const result = { lr, wantLr: step.lr, norm: norm.dataSync()[0], wantNorm: step.gradNorm, worst };
    [...grads.values(), norm].forEach((t) => t.dispose());
    return result;
  });
  const out = { path: adamw.path, decayedNames: adamw.decayedNames(), steps };
  tokens.dispose();
  adamw.dispose();
  variables.forEach((v) => v.dispose());
  return out;
}
