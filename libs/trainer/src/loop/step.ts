// One optimizer step in two named parts: accumulating a group of micro-batches (forward and backward,
// the summed token losses' gradients added up) and applying the update (divide once by the group's
// trainable tokens as the Hugging Face Trainer's loss-kwargs path does, clip the global norm, AdamW;
// docs/hf-semantics.md §5.3–§5.4).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // tfjs-core alone registers no op gradients
import type { AdamW } from '../optim/adamw';
import { IGNORE_INDEX, type CollatedBatch, type TrainableModel } from '../types';
import { asOutOfMemory, TrainingHaltedError } from './halt';

/** The sums of one accumulation group, on the device; applyUpdate takes ownership. */
export interface AccumulatedGroup {
  gradSums: Map<string, tf.Tensor>;
  lossSum: tf.Scalar;
  tokens: tf.Scalar;
  correct: tf.Scalar;
  /** Non-padding input tokens of the group's batches. */
  inputTokens: number;
}

/** The results of one update, still on the device (read back when the log is flushed). */
export interface AppliedUpdate {
  lr: number;
  loss: tf.Scalar;
  gradNorm: tf.Scalar;
}

/** Adds `next` into `acc` (taking ownership of both); returns the sum. */
export function accumulate<T extends tf.Tensor>(acc: T | null, next: T): T {
  if (acc === null) return next;
  const sum = tf.add(acc, next) as T;
  acc.dispose();
  next.dispose();
  return sum;
}

/** Rows with at least one label a next-token loss can use (labels at position ≥ 1). */
function countTrainable(batch: CollatedBatch): { trainableRows: number; inputTokens: number } {
  const { batchSize: B, seqLen: T, labels, attentionMask } = batch;
  let trainableRows = 0;
  let inputTokens = 0;
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let t = 0; t < T; t++) {
      inputTokens += attentionMask[b * T + t];
      if (t > 0 && labels[b * T + t] !== IGNORE_INDEX) any = true;
    }
    if (any) trainableRows += 1;
  }
  return { trainableRows, inputTokens };
}

/**
 * Forward and backward over the micro-batches of one accumulation group. `step` is the optimizer step
 * being built and `where` names the batch in errors (e.g. "batch 3 of epoch 1").
 */
export function accumulateGroup(
  model: TrainableModel,
  batches: Iterable<{ batch: CollatedBatch; where: string }>,
  step: number,
): AccumulatedGroup {
  const variables = model.trainableVariables;
  const gradSums = new Map<string, tf.Tensor>();
  let lossSum: tf.Scalar | null = null;
  let tokens: tf.Scalar | null = null;
  let correct: tf.Scalar | null = null;
  let inputTokens = 0;
  for (const { batch, where } of batches) {
    const counts = countTrainable(batch);
    if (counts.trainableRows === 0) {
      throw new TrainingHaltedError(
        'no_trainable_tokens',
        step,
        `${where} (step ${step}) has no trainable token: every label is ` +
          `masked; check --response-template and --max-length (completions may be truncated away)`,
      );
    }
    inputTokens += counts.inputTokens;
    let micro: { grads: tf.NamedTensorMap; value: tf.Scalar; tokens: tf.Scalar; correct: tf.Scalar };
    try {
      const kept: { tokens?: tf.Scalar; correct?: tf.Scalar } = {};
      const { value, grads } = tf.variableGrads(() => {
        const t = model.lossTerms(batch, { training: true });
        kept.tokens = tf.keep(t.tokens);
        kept.correct = tf.keep(t.correct);
        return t.lossSum;
      }, variables);
      micro = { grads, value, tokens: kept.tokens as tf.Scalar, correct: kept.correct as tf.Scalar };
    } catch (e) {
      throw asOutOfMemory(e, step, batch);
    }
    for (const [name, g] of Object.entries(micro.grads))
      gradSums.set(name, accumulate(gradSums.get(name) ?? null, g));
    lossSum = accumulate(lossSum, micro.value);
    tokens = accumulate(tokens, micro.tokens);
    correct = accumulate(correct, micro.correct);
  }
  if (lossSum === null || tokens === null || correct === null) throw new Error('an empty accumulation group');
  return { gradSums, lossSum, tokens, correct, inputTokens };
}

/**
 * Normalizes the group's gradients by its trainable tokens, clips their global norm and applies one
 * AdamW update at rate `lr`. Disposes the gradient and loss sums; `group.tokens` and `group.correct`
 * stay with the caller.
 */
export function applyUpdate(
  optimizer: AdamW,
  group: AccumulatedGroup,
  maxGradNorm: number,
  lr: number,
): AppliedUpdate {
  const norm = optimizer.clipAndApply(group.gradSums, group.tokens, maxGradNorm, lr);
  group.gradSums.forEach((g) => g.dispose());
  const loss = tf.div(group.lossSum, group.tokens) as tf.Scalar;
  group.lossSum.dispose();
  return { lr, loss, gradNorm: norm };
}
