import { describe, expect, it } from 'vitest';
import { learningRateAt, lrLambda, warmupStepsFor, type ScheduleConfig } from './lr-schedule';

const updates = (c: ScheduleConfig): number[] =>
  Array.from({ length: c.totalSteps }, (_, i) => learningRateAt(c, i + 1));

describe('learning-rate schedules (transformers optimization.py)', () => {
  it('linear with warmup gives the worked example of the reference (base 5e-5, W=2, N=10)', () => {
    const lrs = updates({ type: 'linear', baseLr: 5e-5, totalSteps: 10, warmupSteps: 2 });
    const expected = [0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125].map((l) => l * 5e-5);
    lrs.forEach((lr, i) => expect(lr).toBeCloseTo(expected[i], 15));
  });

  it('linear without warmup starts at the base rate and decays to base/N', () => {
    const lrs = updates({ type: 'linear', baseLr: 1, totalSteps: 4, warmupSteps: 0 });
    expect(lrs).toEqual([1, 0.75, 0.5, 0.25]);
  });

  it('cosine follows 0.5·(1 + cos(π·progress)) after warmup', () => {
    const c: ScheduleConfig = { type: 'cosine', baseLr: 2e-4, totalSteps: 12, warmupSteps: 3 };
    for (let s = 0; s < 12; s++) {
      const expected = s < 3 ? s / 3 : 0.5 * (1 + Math.cos((Math.PI * (s - 3)) / 9));
      expect(lrLambda(c, s)).toBeCloseTo(expected, 12);
    }
    expect(lrLambda(c, 12)).toBeCloseTo(0, 12);
  });

  it('constant ignores warmup; constant_with_warmup ramps then holds', () => {
    expect(updates({ type: 'constant', baseLr: 3, totalSteps: 3, warmupSteps: 2 })).toEqual([3, 3, 3]);
    expect(updates({ type: 'constant_with_warmup', baseLr: 4, totalSteps: 4, warmupSteps: 2 })).toEqual([
      0, 2, 4, 4,
    ]);
  });

  it('warmup steps win over the ratio; the ratio rounds up', () => {
    expect(warmupStepsFor(100, 7, 0.5)).toBe(7);
    expect(warmupStepsFor(101, 0, 0.1)).toBe(11);
    expect(warmupStepsFor(100, 0, 0)).toBe(0);
  });
});
