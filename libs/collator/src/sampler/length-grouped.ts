// Fix (off by default): batches of similar lengths, to cut padding.
// Pitfall it fixes: padding every batch to its longest row (then up to a multiple of 8) wastes compute on
// pad tokens when lengths vary. Follows the idea of transformers' LengthGroupedSampler: shuffle with a
// seed, cut into mega-batches, sort each by length (longest first), split into batches; then the batch
// order is shuffled and the batch holding the longest example goes first (out-of-memory shows at once).
// Deterministic for a given seed; every index appears exactly once.
import { SeededRandom } from '@ftune/common';
import { paddedLength } from '../layouts/layout';

export interface LengthGroupedOptions {
  batchSize: number;
  seed: number;
  /** Mega-batch = this many batches (default 50, as transformers). */
  megabatchMultiplier?: number;
}

export function lengthGroupedBatches(lengths: ArrayLike<number>, options: LengthGroupedOptions): number[][] {
  const { batchSize, seed, megabatchMultiplier = 50 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const random = new SeededRandom(seed);
  const order = random.shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  const megabatch = batchSize * megabatchMultiplier;
  const grouped: number[][] = [];
  for (let m = 0; m < order.length; m += megabatch) {
    const group = order.slice(m, m + megabatch).sort((a, b) => lengths[b] - lengths[a]);
    for (let b = 0; b < group.length; b += batchSize) grouped.push(group.slice(b, b + batchSize));
  }
  const batches = random.shuffle(grouped);
  const max = maxOf(lengths);
  const longest = batches.findIndex((batch) => batch.some((i) => lengths[i] === max));
  if (longest > 0) [batches[0], batches[longest]] = [batches[longest], batches[0]];
  return batches;
}

/** Batches in the given order (the seed's sequential sampler without shuffling). */
export function sequentialBatches(count: number, batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let i = 0; i < count; i += batchSize)
    batches.push(Array.from({ length: Math.min(batchSize, count - i) }, (_, k) => i + k));
  return batches;
}

/** Padded tokens the `pad` layout would produce for these batches, against real tokens. */
export function paddingCost(
  lengths: ArrayLike<number>,
  batches: number[][],
  padToMultipleOf: number | null = 8,
): { real: number; padded: number } {
  let real = 0;
  let padded = 0;
  for (const batch of batches) {
    let longest = 0;
    for (const i of batch) {
      real += lengths[i];
      longest = Math.max(longest, lengths[i]);
    }
    padded += paddedLength(longest, padToMultipleOf) * batch.length;
  }
  return { real, padded };
}

function maxOf(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  return max;
}
