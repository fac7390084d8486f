// Truncation to a maximum length, as the tokenizer does it (`truncation=True, max_length=L`):
// a prefix (right side, the default) or a suffix (left side) of the ids. Runs before masking, so a
// template inside the cut region is lost exactly as with the seed.
import type { Row } from '../row';
import type { RowStep } from './step';

export interface TruncateConfig {
  type: 'truncate';
  maxLength: number;
  /** Which end loses tokens; default 'right' (GPT-2's truncation_side). */
  side?: 'right' | 'left';
}

export function truncate(config: TruncateConfig): RowStep<TruncateConfig> {
  const { maxLength, side = 'right' } = config;
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  return {
    config,
    apply: (rows) => rows.map((row) => cut(row, maxLength, side)),
  };
}

function cut(row: Row, maxLength: number, side: 'right' | 'left'): Row {
  const n = row.ids.length;
  if (n <= maxLength) return row;
  const [from, to] = side === 'right' ? [0, maxLength] : [n - maxLength, n];
  return { ...row, ids: row.ids.subarray(from, to), labels: row.labels.subarray(from, to), truncated: true };
}
