// Learning-rate schedules as Hugging Face transformers defines them (optimization.py): a multiplier
// λ(s) of the base rate, where the k-th optimizer update (k = 1..N) uses λ(k − 1) (LambdaLR semantics).
// Covers linear, cosine, constant and constant_with_warmup; not polynomial or restarts.

export type SchedulerType = 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';
export const SCHEDULER_TYPES: readonly SchedulerType[] = [
  'linear',
  'cosine',
  'constant',
  'constant_with_warmup',
];

export interface ScheduleConfig {
  type: SchedulerType;
  baseLr: number;
  /** N: total optimizer updates. */
  totalSteps: number;
  /** W: warmup updates. */
  warmupSteps: number;
}

/** W = warmup_steps if > 0, else ceil(N × warmup_ratio) (transformers `get_warmup_steps`). */
export function warmupStepsFor(totalSteps: number, warmupSteps: number, warmupRatio: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(totalSteps * warmupRatio);
}

/** λ(s) for a 0-based scheduler step s. */
export function lrLambda(config: ScheduleConfig, s: number): number {
  const { type, totalSteps: n, warmupSteps: w } = config;
  if (type === 'constant') return 1;
  if (s < w) return s / Math.max(1, w);
  switch (type) {
    case 'constant_with_warmup':
      return 1;
    case 'linear':
      return Math.max(0, (n - s) / Math.max(1, n - w));
    case 'cosine': {
      const progress = (s - w) / Math.max(1, n - w);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)));
    }
  }
}

/** The learning rate of the k-th optimizer update (k ≥ 1). */
export function learningRateAt(config: ScheduleConfig, update: number): number {
  return config.baseLr * lrLambda(config, update - 1);
}
