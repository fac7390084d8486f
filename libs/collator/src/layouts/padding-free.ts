// trl 0.19.1 `padding_free=True` (docs/hf-semantics.md §3.7): every real token of the batch in one row (1, N),
// position ids restarting at 0 per example, and the label of each example's first token ignored so no
// example is trained to follow the previous one. trl relies on flash-attention reading position ids to
// keep examples apart; ftune also sets segment ids so any attention can (an addition, not in trl).
import { IGNORE_INDEX } from '../labels';
import { refuseWeights, type Layout } from './layout';

export interface PaddingFreeConfig {
  type: 'padding-free';
  /** Written over each example's first label; default -100. */
  ignoreIndex?: number;
}

export function paddingFree(config: PaddingFreeConfig): Layout<PaddingFreeConfig> {
  const { ignoreIndex = IGNORE_INDEX } = config;
  return {
    config,
    build(rows) {
      refuseWeights(rows, 'padding-free');
      let N = 0;
      for (const row of rows) N += row.ids.length;
      const inputIds = new Int32Array(N);
      const labels = new Int32Array(N);
      const positionIds = new Int32Array(N);
      const segmentIds = new Int32Array(N);
      let at = 0;
      rows.forEach((row, segment) => {
        const n = row.ids.length;
        inputIds.set(row.ids, at);
        labels.set(row.labels, at);
        if (n > 0) labels[at] = ignoreIndex;
        for (let t = 0; t < n; t++) positionIds[at + t] = t;
        segmentIds.fill(segment, at, at + n);
        at += n;
      });
      const attentionMask = new Int32Array(N).fill(1);
      return {
        batch: { batchSize: 1, seqLen: N, inputIds, attentionMask, labels, positionIds, segmentIds },
        examples: [rows.map((r) => r.name)],
      };
    },
  };
}
