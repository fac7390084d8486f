import { describe, expect, it } from 'vitest';
import { groupFairness, type LabeledPrediction } from './fairness';

const rows = (group: string, spec: Array<[string, string, number]>): LabeledPrediction[] =>
  spec.flatMap(([label, predicted, n]) => Array.from({ length: n }, () => ({ group, label, predicted })));

describe('group fairness', () => {
  it('computes selection rates, parity, equalized odds and disparate impact by hand', () => {
    // group a: 4 pos (3 predicted pos), 4 neg (1 predicted pos) → rate 4/8, TPR 3/4, FPR 1/4, acc 6/8
    // group b: 4 pos (1 predicted pos), 4 neg (0 predicted pos) → rate 1/8, TPR 1/4, FPR 0,   acc 5/8
    const data = [
      ...rows('a', [
        ['pos', 'pos', 3],
        ['pos', 'neg', 1],
        ['neg', 'pos', 1],
        ['neg', 'neg', 3],
      ]),
      ...rows('b', [
        ['pos', 'pos', 1],
        ['pos', 'neg', 3],
        ['neg', 'neg', 4],
      ]),
    ];
    const f = groupFairness(data, 'pos');
    expect(
      f.groups.map((g) => [g.group, g.positiveRate, g.truePositiveRate, g.falsePositiveRate, g.accuracy]),
    ).toEqual([
      ['a', 0.5, 0.75, 0.25, 0.75],
      ['b', 0.125, 0.25, 0, 0.625],
    ]);
    expect(f.demographicParityDifference).toBeCloseTo(0.375, 12);
    expect(f.equalizedOddsDifference).toBeCloseTo(0.5, 12); // max(TPR gap 0.5, FPR gap 0.25)
    expect(f.disparateImpactRatio).toBeCloseTo(0.25, 12);
    expect(f.accuracyGap).toBeCloseTo(0.125, 12);
  });

  it('is zero-gap for identical groups', () => {
    const same: Array<[string, string, number]> = [
      ['pos', 'pos', 2],
      ['neg', 'neg', 2],
    ];
    const f = groupFairness([...rows('x', same), ...rows('y', same)], 'pos');
    expect(f.demographicParityDifference).toBe(0);
    expect(f.equalizedOddsDifference).toBe(0);
    expect(f.disparateImpactRatio).toBe(1);
  });
});
