// The batch a collator hands to the model and the trainer (the cross-library contract), and its
// JSON form with Hugging Face key names (what `ftune collate` prints, nested lists as torch's tolist()).

export interface CollatedBatch {
  /** B: number of rows. */
  batchSize: number;
  /** T: padded row length. */
  seqLen: number;
  /** (B, T) row-major token ids. */
  inputIds: Int32Array;
  /** (B, T) 1 = real token, 0 = padding. */
  attentionMask: Int32Array;
  /** (B, T) next-token targets before the model's shift; -100 (or the ignore index) = no loss. */
  labels: Int32Array;
  /** (B, T) position of each token within its example; only for packed / padding-free rows. */
  positionIds?: Int32Array;
  /** (B, T) index of the example within its row (padding: -1); attention never crosses segments. */
  segmentIds?: Int32Array;
  /** (B) per-example loss weights; absent = all 1. */
  exampleWeights?: Float32Array;
  /** (B, T) loss weight of each label (packed rows, where a row holds several examples); wins over exampleWeights. */
  tokenWeights?: Float32Array;
}

/** Splits a (B, T) row-major array into B plain arrays. */
export function toRows(values: Int32Array, batchSize: number, seqLen: number): number[][] {
  const rows: number[][] = [];
  for (let b = 0; b < batchSize; b++) rows.push(Array.from(values.subarray(b * seqLen, (b + 1) * seqLen)));
  return rows;
}

/** The batch as Hugging Face names it: input_ids, attention_mask, labels (+ position_ids, segment_ids). */
export function batchToJson(batch: CollatedBatch): Record<string, number[][]> {
  const { batchSize: B, seqLen: T } = batch;
  const out: Record<string, number[][]> = {
    input_ids: toRows(batch.inputIds, B, T),
    attention_mask: toRows(batch.attentionMask, B, T),
    labels: toRows(batch.labels, B, T),
  };
  if (batch.positionIds) out.position_ids = toRows(batch.positionIds, B, T);
  if (batch.segmentIds) out.segment_ids = toRows(batch.segmentIds, B, T);
  return out;
}

/**
 * trl 0.19.1's padding-free extras: `cu_seq_lens_q` = start of every sequence (position id 0) in the
 * flattened row, then the total length; `max_length_q` = the longest sequence.
 */
export function cumulativeSeqLens(positionIds: Int32Array): { cuSeqLens: number[]; maxLength: number } {
  const cuSeqLens: number[] = [];
  let maxPosition = -1;
  for (let i = 0; i < positionIds.length; i++) {
    if (positionIds[i] === 0) cuSeqLens.push(i);
    if (positionIds[i] > maxPosition) maxPosition = positionIds[i];
  }
  cuSeqLens.push(positionIds.length);
  return { cuSeqLens, maxLength: maxPosition + 1 };
}

/**
 * The batch keyed exactly as trl 0.19.1 returns it: input_ids, attention_mask, labels; padding-free
 * batches drop attention_mask and carry position_ids, cu_seq_lens_q/k and max_length_q/k instead.
 * Packed batches add position_ids and segment_ids (ftune's own keys).
 */
export function hfBatchJson(
  batch: CollatedBatch,
  paddingFree: boolean,
): Record<string, number[][] | number[]> {
  const json: Record<string, number[][] | number[]> = batchToJson(batch);
  if (!paddingFree) return json;
  const { cuSeqLens, maxLength } = cumulativeSeqLens(batch.positionIds ?? new Int32Array());
  return {
    input_ids: json.input_ids,
    labels: json.labels,
    position_ids: json.position_ids,
    cu_seq_lens_q: [cuSeqLens],
    cu_seq_lens_k: [cuSeqLens],
    max_length_k: [maxLength],
    max_length_q: [maxLength],
  };
}
