// Fix (off by default): several examples per row, without attention or targets crossing between them.
// Pitfall it fixes: padding to the longest row wastes most of a batch when lengths vary; naive packing
// (concatenating examples) fixes that but lets each example attend to, and be trained to follow, the
// previous one. Here rows are filled in order (next-fit) up to `length`; every token carries its
// example's segment id (padding: -1) and its position within the example; each example's first label is
// ignored, so the summed loss equals the loss of the examples collated one per row. Per-example loss
// weights travel per token (tokenWeights), so a weighted loss is the same packed or not.
import type { CollatedBatch } from '../batch';
import type { Row } from '../row';
import { IGNORE_INDEX } from '../labels';
import { batchCells, paddedLength, type Layout } from './layout';

export interface PackConfig {
  type: 'pack';
  /** Tokens per packed row (examples must be truncated to at most this). */
  length: number;
  padTokenId: number;
  padToMultipleOf?: number | null;
  ignoreIndex?: number;
}

export function pack(config: PackConfig): Layout<PackConfig> {
  const { length, padTokenId, padToMultipleOf = null, ignoreIndex = IGNORE_INDEX } = config;
  return {
    config,
    build(rows) {
      const bins = nextFit(rows, length);
      const B = bins.length;
      let longest = 0;
      for (const bin of bins)
        longest = Math.max(
          longest,
          bin.reduce((n, r) => n + r.ids.length, 0),
        );
      const T = paddedLength(longest, padToMultipleOf);
      const cells = batchCells(B, T);
      const inputIds = new Int32Array(cells).fill(padTokenId);
      const attentionMask = new Int32Array(cells);
      const labels = new Int32Array(cells).fill(IGNORE_INDEX);
      const positionIds = new Int32Array(cells);
      const segmentIds = new Int32Array(cells).fill(-1);
      const weighted = rows.some((r) => r.weight !== undefined);
      const tokenWeights = weighted ? new Float32Array(cells) : undefined;
      bins.forEach((bin, b) => {
        let at = b * T;
        bin.forEach((row, segment) => {
          const n = row.ids.length;
          inputIds.set(row.ids, at);
          labels.set(row.labels, at);
          if (n > 0) labels[at] = ignoreIndex;
          attentionMask.fill(1, at, at + n);
          segmentIds.fill(segment, at, at + n);
          for (let t = 0; t < n; t++) positionIds[at + t] = t;
          tokenWeights?.fill(row.weight ?? 1, at, at + n);
          at += n;
        });
      });
      const batch: CollatedBatch = { batchSize: B, seqLen: T, inputIds, attentionMask, labels, positionIds };
      batch.segmentIds = segmentIds;
      if (tokenWeights) batch.tokenWeights = tokenWeights;
      return { batch, examples: bins.map((bin) => bin.map((r) => r.name)) };
    },
  };
}

function nextFit(rows: Row[], length: number): Row[][] {
  const bins: Row[][] = [];
  let fill = length + 1;
  for (const row of rows) {
    const n = row.ids.length;
    if (n > length)
      throw new RangeError(
        `${row.name} has ${n} tokens, more than the packed row length ${length}; truncate first`,
      );
    if (fill + n > length) {
      bins.push([]);
      fill = 0;
    }
    bins[bins.length - 1].push(row);
    fill += n;
  }
  return bins;
}
