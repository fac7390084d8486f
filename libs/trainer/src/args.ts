// Training hyperparameters with the Hugging Face TrainingArguments defaults (transformers 4.53),
// named in camelCase. Values are checked when training starts; the config-file schema checks them earlier.
import type { SchedulerType } from './schedules/lr-schedule';

export interface TrainingArguments {
  learningRate: number; // 5e-5
  batchSize: number; // per_device_train_batch_size, 8
  evalBatchSize: number; // per_device_eval_batch_size, defaults to batchSize
  gradientAccumulationSteps: number; // 1
  epochs: number; // num_train_epochs, 3 (fractions allowed)
  maxSteps: number; // > 0 overrides epochs; -1 = off
  weightDecay: number; // 0
  adamBeta1: number; // 0.9
  adamBeta2: number; // 0.999
  adamEpsilon: number; // 1e-8
  lrScheduler: SchedulerType; // linear
  warmupSteps: number; // 0
  warmupRatio: number; // 0, used when warmupSteps is 0
  maxGradNorm: number; // 1.0; 0 disables clipping
  loggingSteps: number; // 1: a metrics record every optimizer step (the only per-step read-back of the loss)
  evalSteps: number; // 0 = evaluate only at epoch ends
  saveSteps: number; // 500; 0 = only at the end
  saveTotalLimit: number; // 0 = keep all
  earlyStoppingPatience: number; // 0 = off
  earlyStoppingThreshold: number; // 0
  metricForBestModel: string; // eval_loss
  greaterIsBetter?: boolean; // default: metric name does not end with loss/perplexity
  loadBestModelAtEnd?: boolean; // default: true when early stopping is on
  groupByLength: boolean; // false
  seed: number; // 42
  signalWindow: number; // 3 evaluations for over/underfitting signals
}

export const DEFAULT_ARGS: TrainingArguments = {
  learningRate: 5e-5,
  batchSize: 8,
  evalBatchSize: 8,
  gradientAccumulationSteps: 1,
  epochs: 3,
  maxSteps: -1,
  weightDecay: 0,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  lrScheduler: 'linear',
  warmupSteps: 0,
  warmupRatio: 0,
  maxGradNorm: 1,
  loggingSteps: 1,
  evalSteps: 0,
  saveSteps: 500,
  saveTotalLimit: 0,
  earlyStoppingPatience: 0,
  earlyStoppingThreshold: 0,
  metricForBestModel: 'eval_loss',
  groupByLength: false,
  seed: 42,
  signalWindow: 3,
};

/** Fills defaults; evalBatchSize follows batchSize unless given. */
export function resolveArgs(partial: Partial<TrainingArguments>): TrainingArguments {
  const args = { ...DEFAULT_ARGS, ...partial };
  if (partial.evalBatchSize === undefined) args.evalBatchSize = args.batchSize;
  return args;
}

/** Returns a message for the first invalid value, or null. */
export function checkArgs(a: TrainingArguments): string | null {
  const intRules: Array<[keyof TrainingArguments, number, string]> = [
    ['batchSize', 1, 'a positive'],
    ['evalBatchSize', 1, 'a positive'],
    ['gradientAccumulationSteps', 1, 'a positive'],
    ['loggingSteps', 1, 'a positive'],
    ['signalWindow', 1, 'a positive'],
    ['warmupSteps', 0, 'a non-negative'],
    ['evalSteps', 0, 'a non-negative'],
    ['saveSteps', 0, 'a non-negative'],
    ['saveTotalLimit', 0, 'a non-negative'],
    ['earlyStoppingPatience', 0, 'a non-negative'],
  ];
  for (const [k, min, what] of intRules) {
    const v = a[k] as number;
    if (!Number.isInteger(v) || v < min) return `${k} must be ${what} integer, got ${v}`;
  }
  if (!(a.learningRate >= 0) || !Number.isFinite(a.learningRate))
    return `learningRate must be ≥ 0, got ${a.learningRate}`;
  if (!(a.weightDecay >= 0)) return `weightDecay must be ≥ 0, got ${a.weightDecay}`;
  if (!(a.maxGradNorm >= 0)) return `maxGradNorm must be ≥ 0, got ${a.maxGradNorm}`;
  if (!(a.warmupRatio >= 0 && a.warmupRatio <= 1))
    return `warmupRatio must be in [0, 1], got ${a.warmupRatio}`;
  if (!(a.adamBeta1 >= 0 && a.adamBeta1 < 1)) return `adamBeta1 must be in [0, 1), got ${a.adamBeta1}`;
  if (!(a.adamBeta2 >= 0 && a.adamBeta2 < 1)) return `adamBeta2 must be in [0, 1), got ${a.adamBeta2}`;
  if (!(a.adamEpsilon > 0)) return `adamEpsilon must be > 0, got ${a.adamEpsilon}`;
  if (!Number.isInteger(a.maxSteps) || (a.maxSteps < 1 && a.maxSteps !== -1))
    return `maxSteps must be a positive integer or -1, got ${a.maxSteps}`;
  if (a.maxSteps === -1 && !(a.epochs > 0))
    return `epochs must be > 0 when maxSteps is not set, got ${a.epochs}`;
  if (!Number.isInteger(a.seed)) return `seed must be an integer, got ${a.seed}`;
  return null;
}
