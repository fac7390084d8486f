import { describe, expect, it } from 'vitest';
import { classificationMetrics } from './classification';

describe('classificationMetrics', () => {
  const gold = ['a', 'a', 'a', 'b', 'b', 'c'];
  const pred = ['a', 'a', 'b', 'b', 'c', 'c'];

  it('matches hand-computed accuracy, per-label figures, macro averages and confusion', () => {
    const m = classificationMetrics(gold, pred, ['a', 'b', 'c', 'd']);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.confusion).toEqual([
      [2, 1, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
    const [a, b, c, d] = m.per_label;
    expect(a).toMatchObject({ label: 'a', support: 3, predicted: 2, true_positives: 2, precision: 1 });
    expect(a.recall).toBeCloseTo(2 / 3, 12);
    expect(a.f1).toBeCloseTo(0.8, 12);
    expect(b).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(c.precision).toBe(0.5);
    expect(c.recall).toBe(1);
    expect(c.f1).toBeCloseTo(2 / 3, 12);
    // d never occurs nor is predicted: zero figures, and it stays out of the macro averages
    expect(d).toMatchObject({ support: 0, predicted: 0, precision: 0, recall: 0, f1: 0 });
    expect(m.macro_f1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(m.macro_precision).toBeCloseTo(2 / 3, 12);
    expect(m.macro_recall).toBeCloseTo((2 / 3 + 1 / 2 + 1) / 3, 12);
    expect(m.weighted_f1).toBeCloseTo((3 * 0.8 + 2 * 0.5 + 2 / 3) / 6, 12);
  });

  it('counts a label predicted but never in the reference in the macro average (precision 0)', () => {
    const m = classificationMetrics(['x', 'x'], ['x', 'y'], ['x', 'y']);
    // x: P 1, R ½, F1 ⅔; y: P 0 (0 of 1), R 0 (no support), F1 0
    expect(m.macro_f1).toBeCloseTo(1 / 3, 12);
  });

  it('refuses labels outside the candidate set and an empty set', () => {
    expect(() => classificationMetrics(['a'], ['z'], ['a'])).toThrow(/"z" is not a candidate label/);
    expect(() => classificationMetrics([], [], [])).toThrow(/empty label set/);
  });
});
