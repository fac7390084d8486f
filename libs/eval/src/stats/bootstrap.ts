// Paired bootstrap confidence interval for the difference of two systems' mean per-example scores
// (Koehn 2004; Efron & Tibshirani percentile interval). Both systems are scored on the same examples,
// so each resample draws example indices once and applies them to both: the pairing removes the
// between-example variance that an unpaired comparison would add.
import { SeededRandom } from '@ftune/common';

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Two-sided confidence level (default 0.95). */
  confidence?: number;
  /** Seed of the resampling generator (default 0): same inputs and seed → same interval. */
  seed?: number;
}

export interface PairedBootstrapResult {
  /** mean(a) − mean(b) on the full sample. */
  difference: number;
  /** Lower and upper percentile bounds of the resampled differences. */
  ci_low: number;
  ci_high: number;
  confidence: number;
  resamples: number;
  seed: number;
  /** Share of resamples where the difference is ≤ 0 (one-sided evidence that a is not better than b). */
  p_not_better: number;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Percentile by linear interpolation between closest ranks (numpy's default "linear" method). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Paired bootstrap of mean(a) − mean(b), where a[i] and b[i] score the same example i
 * (e.g. 1/0 correctness of two models). Throws when the arrays differ in length or are empty.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions = {},
): PairedBootstrapResult {
  if (a.length !== b.length) throw new Error(`pairedBootstrap: ${a.length} scores against ${b.length}`);
  if (a.length === 0) throw new Error('pairedBootstrap: no examples');
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 0;
  const n = a.length;
  const diff = a.map((x, i) => x - b[i]);
  const rng = new SeededRandom(seed);
  const stats: number[] = new Array<number>(resamples);
  let notBetter = 0;
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += diff[rng.int(n)];
    stats[r] = s / n;
    if (stats[r] <= 0) notBetter++;
  }
  stats.sort((x, y) => x - y);
  const alpha = (1 - confidence) / 2;
  return {
    difference: mean(a) - mean(b),
    ci_low: percentile(stats, alpha),
    ci_high: percentile(stats, 1 - alpha),
    confidence,
    resamples,
    seed,
    p_not_better: notBetter / resamples,
  };
}
