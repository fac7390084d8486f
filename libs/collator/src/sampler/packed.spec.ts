import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@ftune/common';
import { bestFitDecreasing, packedBatches } from './packed';

describe('token-budget batches by best-fit decreasing', () => {
  it('puts each example into the fullest row it fits, longest first, never over the row length', () => {
    const lengths = [6, 5, 4, 3, 2, 2, 1];
    const rows = bestFitDecreasing(lengths, 8, [0, 1, 2, 3, 4, 5, 6]);
    // 6 → row A (2 left); 5 → row B (3 left); 4 → row C (4 left); 3 → B (full); 2 → A (full); 2 → C; 1 → C
    expect(rows).toEqual([
      [0, 4],
      [1, 3],
      [2, 5, 6],
    ]);
    expect(() => bestFitDecreasing([9], 8, [0])).toThrow(/more than the packed row length 8/);
  });

  it('covers every example once, in batches of at most rowsPerBatch rows, the same count every epoch', () => {
    const random = new SeededRandom(1);
    const lengths = Array.from({ length: 500 }, () => 1 + Math.floor(random.next() * 64));
    const counts = new Set<number>();
    for (const seed of [1, 2, 3]) {
      const batches = packedBatches(lengths, { rowLength: 64, rowsPerBatch: 4, seed });
      expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
      for (const b of batches) {
        // the pack layout fills rows in order: count the rows it will build
        let rows = 0;
        let fill = Infinity;
        for (const i of b) {
          if (fill + lengths[i] > 64) [rows, fill] = [rows + 1, 0];
          fill += lengths[i];
        }
        expect(rows).toBeLessThanOrEqual(4);
      }
      counts.add(batches.length);
    }
    expect(counts.size).toBe(1);
    const total = lengths.reduce((a, b) => a + b, 0);
    // best-fit decreasing leaves little room: rows are at least 90% full on average here
    const rows = bestFitDecreasing(
      lengths,
      64,
      lengths.map((_, i) => i),
    ).length;
    expect(total / (rows * 64)).toBeGreaterThan(0.9);
  });
});
