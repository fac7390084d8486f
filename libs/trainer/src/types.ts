// The model contract the trainer owns (TrainableModel, LossTerms) and the data it trains on. Batches are
// the collator's CollatedBatch; any model implementing TrainableModel structurally can be trained.
import type * as tf from '@tensorflow/tfjs-core';
import type { CollatedBatch } from '@ftune/collator';

export type { CollatedBatch };

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
  /** Evaluation batches of `batchSize` (packed: token-budget batches); default: in order, batchSize examples each. */
  evalBatches?(batchSize: number): number[][];
}

export { IGNORE_INDEX } from '@ftune/collator';
