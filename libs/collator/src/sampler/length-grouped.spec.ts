import { describe, expect, it } from 'vitest';
import { lengthGroupedBatches, paddingCost, sequentialBatches } from './length-grouped';

function randomLengths(n: number): number[] {
  let state = 7;
  return Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return 8 + (state % 500);
  });
}

describe('length-grouped batches', () => {
  const lengths = randomLengths(2000);

  it('pitfall: in data order, most of each padded batch is padding', () => {
    const { real, padded } = paddingCost(lengths, sequentialBatches(lengths.length, 8));
    expect(real / padded).toBeLessThan(0.65);
  });

  it('cure: grouping by length keeps padding to a few percent', () => {
    const { real, padded } = paddingCost(lengths, lengthGroupedBatches(lengths, { batchSize: 8, seed: 1 }));
    expect(real / padded).toBeGreaterThan(0.95);
  });

  it('uses every example exactly once, in batches of the asked size', () => {
    const batches = lengthGroupedBatches(lengths, { batchSize: 8, seed: 1 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(batches.every((b) => b.length === 8)).toBe(true);
    expect(
      lengthGroupedBatches([1, 2, 3], { batchSize: 2, seed: 0 })
        .map((b) => b.length)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('is deterministic per seed, differs across seeds, and puts the longest example first', () => {
    const a = lengthGroupedBatches(lengths, { batchSize: 8, seed: 3 });
    expect(lengthGroupedBatches(lengths, { batchSize: 8, seed: 3 })).toEqual(a);
    expect(lengthGroupedBatches(lengths, { batchSize: 8, seed: 4 })).not.toEqual(a);
    expect(Math.max(...a[0].map((i) => lengths[i]))).toBe(Math.max(...lengths));
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => lengthGroupedBatches(lengths, { batchSize: 0, seed: 1 })).toThrow(RangeError);
  });
});
