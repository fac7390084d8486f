// The batches of one epoch, drawn from the run's seeded PRNG: a shuffle cut into batches, or
// length-grouped batches (the collator's LengthGroupedSampler equivalent) so that padding is small, or
// token-budget batches of packed rows.
// The last batch may be smaller; nothing is dropped.
import { lengthGroupedBatches, packedBatches } from '@ftune/collator';
import type { Random } from './random';

/** Turns one epoch's randomness into batches of example indices, every index exactly once. */
export type BatchSampler = (random: Random, size: number, batchSize: number) => number[][];

export const shuffledBatches: BatchSampler = (random, size, batchSize) =>
  toBatches(random.permutation(size), batchSize);

export function lengthGroupedSampler(lengths: readonly number[]): BatchSampler {
  return (random, size, batchSize) => {
    if (lengths.length !== size) throw new Error(`${lengths.length} lengths for ${size} examples`);
    return lengthGroupedBatches(lengths, { batchSize, seed: random.nextUint32() });
  };
}

/** Token-budget batches for packed rows of `rowLength` tokens: batchSize counts rows, not examples. */
export function packedSampler(lengths: readonly number[], rowLength: number): BatchSampler {
  return (random, size, batchSize) => {
    if (lengths.length !== size) throw new Error(`${lengths.length} lengths for ${size} examples`);
    return packedBatches(lengths, { rowLength, rowsPerBatch: batchSize, seed: random.nextUint32() });
  };
}

export function toBatches(order: readonly number[], batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/** Optimizer steps in one epoch: ceil(batches / accumulation), at least 1 (transformers ≥ 4.46). */
export function updateStepsPerEpoch(batchesPerEpoch: number, accumulation: number): number {
  return Math.max(Math.ceil(batchesPerEpoch / accumulation), 1);
}
