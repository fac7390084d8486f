// Early stopping and best-metric tracking with the semantics of transformers' EarlyStoppingCallback:
// an evaluation counts as an improvement when it beats the previous best by more than `threshold`;
// after `patience` evaluations without one, training stops. The best value itself moves on any gain.

export interface BestMetric {
  metric: string;
  greaterIsBetter: boolean;
}

/** `eval_loss` style name; the Trainer prefixes a bare name with `eval_`. */
export function evalMetricName(metric: string): string {
  return metric.startsWith('eval_') ? metric : `eval_${metric}`;
}

/** greater_is_better default: true unless the metric name ends with "loss" (or is perplexity). */
export function defaultGreaterIsBetter(metric: string): boolean {
  return !(metric.endsWith('loss') || metric.endsWith('perplexity'));
}

export function isBetter(value: number, best: number | null, greaterIsBetter: boolean): boolean {
  if (best === null) return true;
  return greaterIsBetter ? value > best : value < best;
}

export class EarlyStopping {
  constructor(
    readonly patience: number,
    readonly threshold: number,
    readonly greaterIsBetter: boolean,
    public counter = 0,
  ) {}

  /** Registers an evaluation against the previous best; returns true when training should stop. */
  update(value: number, previousBest: number | null): boolean {
    const improved =
      previousBest === null ||
      (isBetter(value, previousBest, this.greaterIsBetter) &&
        Math.abs(value - previousBest) > this.threshold);
    this.counter = improved ? 0 : this.counter + 1;
    return this.counter >= this.patience;
  }
}
