// Evaluation over a whole validation split (the token-weighted loss, perplexity and token accuracy,
// summed on the device and read back once), and what an evaluation changes in the training state: the
// best metric, the fit signals and early stopping. Checkpoints are the keeper's (./checkpoints.ts).
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@ftune/common';
import { toBatches } from '../data/order';
import { isBetter } from '../monitor/early-stopping';
import type { FitSignal } from '../monitor/signals';
import type { DataSource, TrainableModel } from '../types';
import { TrainingHaltedError } from './halt';
import { accumulate } from './step';
import type { TrainingState } from './state';
import type { EvalRecord, TrainerEvent } from './types';

export async function evaluate<E>(
  model: TrainableModel,
  data: DataSource<E>,
  batchSize: number,
  step: number,
): Promise<EvalRecord> {
  const order = Array.from({ length: data.examples.length }, (_, i) => i);
  let sums: tf.Tensor1D | null = null;
  for (const indices of data.evalBatches?.(batchSize) ?? toBatches(order, batchSize)) {
    const batch = data.collate(indices.map((i) => data.examples[i]));
    const terms = tf.tidy(() => {
      const t = model.lossTerms(batch, { training: false });
      return tf.stack([t.lossSum, t.tokens, t.correct]) as tf.Tensor1D;
    });
    sums = accumulate(sums, terms);
  }
  const [lossSum, tokens, correct] = sums ? Array.from(await sums.data()) : [0, 0, 0];
  sums?.dispose();
  if (!(tokens > 0)) {
    throw new TrainingHaltedError('no_trainable_tokens', step, 'the validation split has no trainable token');
  }
  const evalLoss = lossSum / tokens;
  return {
    step,
    eval_loss: evalLoss,
    eval_perplexity: Math.exp(evalLoss),
    eval_token_accuracy: correct / tokens,
  };
}

/** What an evaluation decided: a new best, and whether early stopping ends the run. */
export interface EvalOutcome {
  improved: boolean;
  stop: boolean;
}

/**
 * Folds an evaluation into the state: the best metric, the over/underfitting signals (against the mean
 * training loss since the previous evaluation) and early stopping; reports each as an event.
 */
export function recordEvaluation(
  state: TrainingState,
  record: EvalRecord,
  greaterIsBetter: boolean,
  signals: FitSignal[],
  onEvent: (event: TrainerEvent) => void,
): EvalOutcome {
  const metric = state.best.metric;
  const value = record[metric as keyof EvalRecord];
  if (value === undefined) throw new UserError(`metricForBestModel ${metric} is not an evaluation metric`);
  const previousBest = state.best.value;
  const improved = isBetter(value, previousBest, greaterIsBetter);
  if (improved) state.best = { ...state.best, value, step: state.globalStep };
  onEvent({ type: 'eval', record, isBest: improved });
  const sinceEval = state.trainLossSinceEval;
  if (sinceEval.count > 0) {
    const trainLoss = sinceEval.sum / sinceEval.count;
    for (const s of state.monitor.add({ step: state.globalStep, evalLoss: record.eval_loss, trainLoss })) {
      signals.push(s);
      onEvent({ type: 'signal', signal: s });
    }
  }
  state.trainLossSinceEval = { sum: 0, count: 0 };
  const early = state.early;
  const stop = early?.update(value, previousBest) ?? false;
  if (early && stop) {
    const { best } = state;
    onEvent({
      type: 'early_stop',
      step: state.globalStep,
      message: `early stopping at step ${state.globalStep}: ${metric} did not improve by more than ${early.threshold} for ${early.patience} evaluations (best ${best.value} at step ${best.step})`,
    });
  }
  return { improved, stop };
}
