// The order in which training examples are visited in one epoch: a seeded shuffle, or length-grouped
// batches (Hugging Face LengthGroupedSampler: sort by length inside shuffled mega-batches of 50 batches,
// longest batch first) so that padding is small. Then the order is cut into batches and accumulation groups.
import type { Random } from './random';

/** Turns one epoch's randomness into an order of example indices. */
export type OrderSampler = (random: Random, size: number, batchSize: number) => number[];

export const shuffledOrder: OrderSampler = (random, size) => random.permutation(size);

export function lengthGroupedOrder(lengths: readonly number[]): OrderSampler {
  return (random, size, batchSize) => {
    const indices = random.permutation(size);
    const mult = Math.max(1, Math.min(Math.floor(size / (batchSize * 4)), 50));
    const megaSize = mult * batchSize;
    const megas: number[][] = [];
    for (let i = 0; i < size; i += megaSize) {
      megas.push(indices.slice(i, i + megaSize).sort((x, y) => lengths[y] - lengths[x]));
    }
    // put the single longest example first so an out-of-memory error shows up on the first step
    let best = 0;
    for (let m = 1; m < megas.length; m++) if (lengths[megas[m][0]] > lengths[megas[best][0]]) best = m;
    if (best > 0) [megas[0][0], megas[best][0]] = [megas[best][0], megas[0][0]];
    return megas.flat();
  };
}

/** Cuts an order into batches of `batchSize` (the last may be smaller; nothing is dropped). */
export function toBatches(order: readonly number[], batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/** Optimizer steps in one epoch: ceil(batches / accumulation), at least 1 (transformers ≥ 4.46). */
export function updateStepsPerEpoch(batchesPerEpoch: number, accumulation: number): number {
  return Math.max(Math.ceil(batchesPerEpoch / accumulation), 1);
}
