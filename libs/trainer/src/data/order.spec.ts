import { describe, expect, it } from 'vitest';
import { lengthGroupedSampler, shuffledBatches, toBatches, updateStepsPerEpoch } from './order';
import { Random } from './random';

describe('seeded PRNG and epoch order', () => {
  it('is reproducible from a seed and from a saved state', () => {
    const a = new Random(42);
    a.nextUint32();
    const saved = a.state();
    const next = [a.next(), a.next(), a.next()];
    const b = new Random(saved);
    expect([b.next(), b.next(), b.next()]).toEqual(next);
    expect(new Random(42).permutation(20)).toEqual(new Random(42).permutation(20));
    expect(new Random(42).permutation(20)).not.toEqual(new Random(43).permutation(20));
  });

  it('shuffles into a permutation that differs between epochs', () => {
    const rng = new Random(1);
    const e1 = shuffledBatches(rng, 50, 4);
    const e2 = shuffledBatches(rng, 50, 4);
    expect(e1.map((b) => b.length)).toEqual([...Array(12).fill(4), 2]);
    expect(e1.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(e1).not.toEqual(e2);
  });

  it('length-grouped batches pad less than shuffled ones and still visit every example once', () => {
    const rng = new Random(3);
    const lengths = Array.from({ length: 400 }, () => 1 + rng.int(200));
    const padding = (batches: number[][]): number =>
      batches.reduce(
        (s, b) =>
          s + b.length * Math.max(...b.map((i) => lengths[i])) - b.reduce((t, i) => t + lengths[i], 0),
        0,
      );
    const grouped = lengthGroupedSampler(lengths)(new Random(5), 400, 8);
    const shuffled = shuffledBatches(new Random(5), 400, 8);
    expect(grouped.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(padding(grouped)).toBeLessThan(padding(shuffled) / 4);
    expect(Math.max(...grouped[0].map((i) => lengths[i]))).toBe(Math.max(...lengths));
    // the same PRNG state gives the same batches (exact resume)
    expect(lengthGroupedSampler(lengths)(new Random(5), 400, 8)).toEqual(grouped);
  });

  it('keeps the last partial batch and counts update steps as ceil(batches / accumulation)', () => {
    expect(toBatches([0, 1, 2, 3, 4], 2)).toEqual([[0, 1], [2, 3], [4]]);
    expect(updateStepsPerEpoch(5, 2)).toBe(3);
    expect(updateStepsPerEpoch(1, 4)).toBe(1);
  });
});
