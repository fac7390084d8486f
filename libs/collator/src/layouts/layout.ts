// A layout turns the rows of one batch into the (B, T) arrays of a CollatedBatch.
import type { CollatedBatch } from '../batch';
import type { Row } from '../row';

export interface LaidOut {
  batch: CollatedBatch;
  /** For each row of the batch, the names of the examples it holds. */
  examples: string[][];
}

export interface Layout<C extends { type: string } = { type: string }> {
  readonly config: C;
  build(rows: Row[]): LaidOut;
}

/** Longest length rounded up to a multiple of `multipleOf` (null: no rounding), as tokenizer.pad does. */
export function paddedLength(longest: number, multipleOf: number | null | undefined): number {
  if (!multipleOf || longest % multipleOf === 0) return longest;
  return (Math.floor(longest / multipleOf) + 1) * multipleOf;
}

/** Per-row loss weights when any row has one (absent = all 1). */
export function rowWeights(rows: Row[]): Float32Array | undefined {
  if (rows.every((r) => r.weight === undefined)) return undefined;
  return Float32Array.from(rows, (r) => r.weight ?? 1);
}

/** Layouts that put several examples in a row cannot carry per-example weights. */
export function refuseWeights(rows: Row[], layout: string): void {
  if (rows.some((r) => r.weight !== undefined)) {
    throw new RangeError(`per-example weights need one example per row; the ${layout} layout mixes examples`);
  }
}
