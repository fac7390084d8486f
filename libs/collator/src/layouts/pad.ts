// Right padding to the longest row, rounded up to a multiple (DataCollatorForLanguageModeling with
// pad_to_multiple_of, dict inputs through tokenizer.pad; docs/hf-semantics.md §2.2). Padding positions get
// the pad id, attention 0 and label -100. Left padding is not offered: with causal attention it lets
// real tokens attend to pads.
import { IGNORE_INDEX } from '../labels';
import { batchCells, paddedLength, rowWeights, type Layout } from './layout';

export interface PadConfig {
  type: 'pad';
  padTokenId: number;
  /** Round the padded length up to a multiple of this (the seed: 8); null = longest row. */
  padToMultipleOf?: number | null;
}

export function pad(config: PadConfig): Layout<PadConfig> {
  const { padTokenId, padToMultipleOf = null } = config;
  return {
    config,
    build(rows) {
      let longest = 0;
      for (const row of rows) longest = Math.max(longest, row.ids.length);
      const B = rows.length;
      const T = paddedLength(longest, padToMultipleOf);
      const cells = batchCells(B, T);
      const inputIds = new Int32Array(cells).fill(padTokenId);
      const attentionMask = new Int32Array(cells);
      const labels = new Int32Array(cells).fill(IGNORE_INDEX);
      rows.forEach((row, b) => {
        const n = row.ids.length;
        inputIds.set(row.ids, b * T);
        attentionMask.fill(1, b * T, b * T + n);
        labels.set(row.labels, b * T);
      });
      const exampleWeights = rowWeights(rows);
      return {
        batch: {
          batchSize: B,
          seqLen: T,
          inputIds,
          attentionMask,
          labels,
          ...(exampleWeights && { exampleWeights }),
        },
        examples: rows.map((r) => [r.name]),
      };
    },
  };
}
