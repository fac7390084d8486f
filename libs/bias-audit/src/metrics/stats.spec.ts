import { describe, expect, it } from 'vitest';
import { chiSquareTest, gammaQ, logGamma } from './stats';

describe('statistics', () => {
  it('log-gamma and the incomplete gamma match known values', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    // chi-square survival with 2 dof is exp(-x/2)
    expect(gammaQ(1, 3)).toBeCloseTo(Math.exp(-3), 12);
    expect(gammaQ(1, 0.2)).toBeCloseTo(Math.exp(-0.2), 12);
  });

  it('chi-square test of a 2x2 table (hand computed: expected 15 in every cell)', () => {
    const r = chiSquareTest([
      [10, 20],
      [20, 10],
    ]);
    expect(r.statistic).toBeCloseTo(20 / 3, 10);
    expect(r.dof).toBe(1);
    expect(r.pValue).toBeCloseTo(0.0098232, 6); // scipy.stats.chi2.sf(20/3, 1)
  });

  it('independent tables give p = 1 and empty rows are dropped', () => {
    const r = chiSquareTest([
      [5, 10],
      [10, 20],
      [0, 0],
    ]);
    expect(r.statistic).toBeCloseTo(0, 12);
    expect(r.dof).toBe(1);
    expect(r.pValue).toBeCloseTo(1, 9);
  });
});
