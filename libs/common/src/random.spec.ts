import { describe, expect, it } from 'vitest';
import { SeededRandom } from './random';

describe('SeededRandom', () => {
  it('repeats its sequence for a seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new SeededRandom(43).next()).not.toBe(xs[0]);
  });

  it('is mulberry32: the reference values for seed 1 (model init, samplers and fixtures rely on them)', () => {
    const r = new SeededRandom(1);
    expect(Array.from({ length: 3 }, () => r.next())).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    expect(new SeededRandom(2 ** 32 + 1).next()).toBe(0.6270739405881613);
  });

  it('shuffles a copy into a seeded permutation', () => {
    const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(new SeededRandom(7).shuffle(items)).toEqual([6, 5, 8, 1, 2, 3, 4, 7, 9, 0]);
    expect(items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
