// The model and batch contracts the trainer depends on. The trainer owns TrainableModel/LossTerms;
// CollatedBatch is the collator's output, restated here structurally so the trainer stays model-agnostic.
import type * as tf from '@tensorflow/tfjs-core';

/** One padded batch, row-major (B, T). Produced by the collator. */
export interface CollatedBatch {
  batchSize: number; // B
  seqLen: number; // T (padded length)
  inputIds: Int32Array; // B*T
  attentionMask: Int32Array; // B*T, 1 = real token
  labels: Int32Array; // B*T, -100 = ignored
  positionIds?: Int32Array; // B*T, packed / padding-free rows only
  segmentIds?: Int32Array; // B*T, packed rows: example index within the row
  exampleWeights?: Float32Array; // B, per-example loss weights; absent = all 1
}

/** Loss pieces for one batch; the trainer sums them across micro-batches and normalizes once. */
export interface LossTerms {
  /** Σ over trainable tokens (label ≠ -100, next-token shifted) of example weight × token cross-entropy. */
  lossSum: tf.Scalar;
  /** Number of trainable tokens (float32). */
  tokens: tf.Scalar;
  /** Trainable tokens whose argmax prediction equals the label (no gradient). */
  correct: tf.Scalar;
}

export interface TrainableModel {
  /** Trainable variables; each `name` is the Hugging Face parameter name, e.g. transformer.h.0.ln_1.weight. */
  readonly trainableVariables: tf.Variable[];
  /** Builds the loss terms for one batch inside the caller's tf.tidy / variableGrads. */
  lossTerms(batch: CollatedBatch, options?: { training?: boolean }): LossTerms;
}

/** Where training examples come from: any example type plus the function that batches them. */
export interface DataSource<E> {
  readonly examples: readonly E[];
  collate(examples: E[]): CollatedBatch;
  /** Token length of each example; needed only for length-grouped batches. */
  readonly lengths?: readonly number[];
}

export const IGNORE_INDEX = -100;
