import { describe, expect, it } from 'vitest';
import { expectedCalibrationError } from './calibration';

describe('expectedCalibrationError', () => {
  it('matches a hand computation with 10 equal-width bins, upper bounds inclusive', () => {
    const c = expectedCalibrationError([0.9, 0.9, 0.6, 0.3, 0.55], [true, false, true, false, false]);
    // bin (0.8,0.9]: 2 items, conf 0.9, acc 0.5 → 2/5·0.4 = 0.16
    // bin (0.5,0.6]: 2 items, conf 0.575, acc 0.5 → 2/5·0.075 = 0.03
    // bin (0.2,0.3]: 0.3 exactly, acc 0 → 1/5·0.3 = 0.06
    expect(c.ece).toBeCloseTo(0.25, 12);
    expect(c.mce).toBeCloseTo(0.4, 12);
    expect(c.bins[2]).toMatchObject({ count: 1, accuracy: 0 });
    expect(c.bins[2].confidence).toBeCloseTo(0.3, 12);
    expect(c.bins[5].count).toBe(2);
    expect(c.bins[8].count).toBe(2);
    expect(c.bins[0]).toEqual({ lower: 0, upper: 0.1, count: 0, confidence: null, accuracy: null });
  });

  it('is 0 for a perfectly calibrated set and places 0 and 1 in the end bins', () => {
    const c = expectedCalibrationError([1, 1, 0], [true, true, false], 4);
    expect(c.ece).toBe(0);
    expect(c.bins[3].count).toBe(2);
    expect(c.bins[0].count).toBe(1);
  });
});
