// The logging window: each step's loss, accuracy and gradient norm stay on the device until the window
// is flushed (every loggingSteps, before an evaluation and before a checkpoint), which is the only
// read-back of the loss. A flush checks for divergence, then writes one StepRecord.
import type * as tf from '@tensorflow/tfjs-core';
import type { MetricsLog } from '../monitor/metrics-log';
import { TrainingHaltedError } from './halt';
import type { TrainingState } from './state';
import type { StepRecord, TrainerEvent } from './types';

export interface PendingStep {
  step: number;
  epoch: number;
  lr: number;
  loss: tf.Scalar;
  correct: tf.Scalar;
  tokens: tf.Scalar;
  gradNorm: tf.Scalar;
  inputTokens: number;
}

export class StepLog {
  private pending: PendingStep[] = [];
  private windowStart: number;
  /** Every logged training loss of this process, for the result's mean. */
  readonly losses: number[] = [];

  constructor(
    private readonly state: TrainingState,
    private readonly totalSteps: number,
    private readonly now: () => number,
    private readonly metricsLog: MetricsLog | null,
    private readonly onEvent: (event: TrainerEvent) => void,
  ) {
    this.windowStart = now();
  }

  push(step: PendingStep): void {
    this.pending.push(step);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const steps = this.pending;
    this.pending = [];
    const values = await Promise.all(
      steps.map(async (p) => {
        const [loss, correct, tokens, gradNorm] = await Promise.all(
          [p.loss, p.correct, p.tokens, p.gradNorm].map(async (t) => (await t.data())[0]),
        );
        disposeStep(p);
        return { loss, correct, tokens, gradNorm };
      }),
    );
    for (let i = 0; i < steps.length; i++) {
      const { loss, gradNorm } = values[i];
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        const what = Number.isFinite(loss)
          ? `the gradient norm became ${gradNorm}`
          : `the loss became ${loss}`;
        throw new TrainingHaltedError(
          'non_finite_loss',
          steps[i].step,
          `training diverged: ${what} at step ${steps[i].step} (learning rate ${steps[i].lr.toExponential(3)}); ` +
            `lower --learning-rate, add warmup (--warmup-steps) or keep --max-grad-norm at 1.0`,
        );
      }
    }
    const last = steps[steps.length - 1];
    const elapsed = Math.max(this.now() - this.windowStart, 1e-3) / 1000;
    this.windowStart = this.now();
    const sum = (f: (v: (typeof values)[number]) => number): number => values.reduce((s, v) => s + f(v), 0);
    const record: StepRecord = {
      step: last.step,
      epoch: last.epoch,
      loss: sum((v) => v.loss) / values.length,
      token_accuracy:
        sum((v) => v.correct) /
        Math.max(
          sum((v) => v.tokens),
          1,
        ),
      learning_rate: last.lr,
      grad_norm: values[values.length - 1].gradNorm,
      tokens_per_second: steps.reduce((s, p) => s + p.inputTokens, 0) / elapsed,
      tokens_seen: this.state.tokensSeen,
    };
    for (const v of values) this.losses.push(v.loss);
    this.state.trainLossSinceEval.sum += record.loss * values.length;
    this.state.trainLossSinceEval.count += values.length;
    this.metricsLog?.append(record);
    this.onEvent({ type: 'step', record, totalSteps: this.totalSteps });
  }

  /** Frees what was never flushed (a run that stopped with an error). */
  dispose(): void {
    for (const p of this.pending) disposeStep(p);
    this.pending = [];
  }
}

function disposeStep(p: PendingStep): void {
  [p.loss, p.correct, p.tokens, p.gradNorm].forEach((t) => t.dispose());
}
