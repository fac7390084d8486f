// Parity with the real Hugging Face Trainer (transformers 4.53.2, torch): fixtures written by
// tools/golden/trainer.py. Decay groups by name, schedule values, and six clipped AdamW updates.
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { isDecayed } from './optim/decay';
import { learningRateAt, type SchedulerType } from './schedules/lr-schedule';
import { type GoldenOptimizer, readTrainerGolden, replayGoldenAdamW } from './testing/golden-adamw';

interface Golden {
  decay: { parameters: string[]; decayed: string[] };
  schedules: Array<{
    type: SchedulerType;
    baseLr: number;
    totalSteps: number;
    warmupSteps: number;
    lrs: number[];
  }>;
  optimizer: GoldenOptimizer;
}

const golden = readTrainerGolden<Golden>();

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
      const run = replayGoldenAdamW({ onHost });
      expect(run.path).toBe(onHost ? 'host' : 'tensor-ops');
      expect(run.decayedNames).toEqual(o.groups.find((g) => g.weightDecay > 0)?.names);
      run.steps.forEach((step, k) => {
        expect(step.lr).toBeCloseTo(step.wantLr, 15);
        expect(step.norm).toBeCloseTo(step.wantNorm, 5);
        expect(step.worst.diff, `${step.worst.at} after update ${k + 1}`).toBeLessThan(5e-7);
      });
    });
  }
});
