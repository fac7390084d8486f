// A layout turns the rows of one batch into the (B, T) arrays of a CollatedBatch.
import { UserError } from '@ftune/common';
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

/**
 * Most cells (B × T) one batch may hold: 2^22, 16 MiB per int32 array (a training batch of 512
 * rows of 8192 tokens fits). The rounding of
 * `padToMultipleOf` multiplies with the number of rows, so a few bytes of request could otherwise
 * ask for gigabytes; the check comes before any array is allocated.
 */
export const MAX_BATCH_CELLS = 1 << 22;

/** B × T, or a UserError when the batch would be larger than MAX_BATCH_CELLS. */
export function batchCells(B: number, T: number): number {
  if (B * T > MAX_BATCH_CELLS)
    throw new UserError(
      `a batch of ${B} rows × ${T} positions is ${B * T} cells, over the limit of ${MAX_BATCH_CELLS} (lower padToMultipleOf or maxLength, or send fewer examples)`,
    );
  return B * T;
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
