// Token-budget batches for the pack layout: each batch is at most `rowsPerBatch` rows of `rowLength`
// tokens, filled by best-fit decreasing (longest example first, each into the fullest row it still fits;
// an example is never split across rows). Rows are shuffled with the seed and a batch lists its
// examples row by row, so the pack layout's in-order fill rebuilds at most the same number of rows
// (greedy filling is optimal for a fixed order). The row count, hence the batch count, depends only on
// the lengths, so it is the same every epoch; the seed decides which equal-length examples share rows.
import { SeededRandom } from '@ftune/common';

export interface PackedBatchOptions {
  /** Tokens per packed row (the pack layout's length). */
  rowLength: number;
  /** Rows per batch (the batch size, counted in rows). */
  rowsPerBatch: number;
  seed: number;
}

/** Rows of example indices by best-fit decreasing; `order` breaks ties between equal lengths. */
export function bestFitDecreasing(
  lengths: ArrayLike<number>,
  rowLength: number,
  order: readonly number[],
): number[][] {
  const sorted = [...order].sort((a, b) => lengths[b] - lengths[a]); // stable: ties keep `order`
  const rows: number[][] = [];
  const free: number[] = [];
  for (const i of sorted) {
    const n = lengths[i];
    if (!(n >= 0 && n <= rowLength))
      throw new RangeError(`example ${i} has ${n} tokens, more than the packed row length ${rowLength}`);
    let best = -1;
    for (let r = 0; r < rows.length; r++) if (free[r] >= n && (best === -1 || free[r] < free[best])) best = r;
    if (best === -1) {
      rows.push([i]);
      free.push(rowLength - n);
    } else {
      rows[best].push(i);
      free[best] -= n;
    }
  }
  return rows;
}

export function packedBatches(lengths: ArrayLike<number>, options: PackedBatchOptions): number[][] {
  const { rowLength, rowsPerBatch, seed } = options;
  if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1)
    throw new RangeError(`rowsPerBatch must be a positive integer, got ${rowsPerBatch}`);
  const random = new SeededRandom(seed);
  const order = random.shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  const rows = random.shuffle(bestFitDecreasing(lengths, rowLength, order));
  const batches: number[][] = [];
  for (let r = 0; r < rows.length; r += rowsPerBatch) batches.push(rows.slice(r, r + rowsPerBatch).flat());
  return batches;
}
