import { describe, expect, it } from 'vitest';
import { pairedBootstrap, percentile } from './bootstrap';
describe('percentile', () => {
  it('interpolates linearly between ranks', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 1)).toBe(4);
  });
});

describe('pairedBootstrap', () => {
  const a = [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1];
  const b = [1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1];

  it('is deterministic for a seed', () => {
    const r1 = pairedBootstrap(a, b, { seed: 7, resamples: 500 });
    const r2 = pairedBootstrap(a, b, { seed: 7, resamples: 500 });
    expect(r2).toEqual(r1);
    const r3 = pairedBootstrap(a, b, { seed: 8, resamples: 500 });
    expect([r3.ci_low, r3.ci_high]).not.toEqual([r1.ci_low, r1.ci_high]);
  });

  it('centres on the observed difference and brackets it', () => {
    const r = pairedBootstrap(a, b, { seed: 1 });
    expect(r.difference).toBeCloseTo(15 / 20 - 9 / 20, 12);
    expect(r.ci_low).toBeLessThan(r.difference);
    expect(r.ci_high).toBeGreaterThan(r.difference);
    expect(r.ci_low).toBeGreaterThan(0); // 6 wins, 0 losses: clearly better
    expect(r.p_not_better).toBeLessThan(0.05);
    expect(r).toMatchObject({ confidence: 0.95, resamples: 1000, seed: 1 });
  });

  it('has a zero-width interval when every pair differs by the same amount', () => {
    const r = pairedBootstrap([1, 1, 1], [0, 0, 0]);
    expect([r.difference, r.ci_low, r.ci_high]).toEqual([1, 1, 1]);
  });

  it('refuses unpaired or empty inputs', () => {
    expect(() => pairedBootstrap([1], [1, 0])).toThrow(/1 scores against 2/);
    expect(() => pairedBootstrap([], [])).toThrow(/no examples/);
  });
});
