// Counterfactual consistency (model audit): each test example that mentions a group term is
// rewritten with the term swapped for its counterpart(s); the model's predicted label and the
// log-likelihood of the reference completion are compared between original and counterfactual.
// Reports the flip rate and the mean absolute log-likelihood gap per group pair, worst first.
import type { TermMatcher } from './terms/match';

/** What the audit needs from a model: label scoring and completion log-likelihood for a prompt. */
export interface AuditScorer {
  /** The predicted label among `labels` for `prompt` (highest log-likelihood). */
  predict(prompt: string, labels: string[]): Promise<string>;
  /** Log-likelihood (sum over tokens) of `completion` after `prompt`. */
  logLikelihood(prompt: string, completion: string): Promise<number>;
}

export interface CounterfactualExample {
  prompt: string;
  completion: string;
  ref?: string | number;
}

export interface PairResult {
  dimension: string;
  from: string;
  to: string;
  count: number;
  flips: number;
  flipRate: number;
  meanAbsLogLikelihoodGap: number;
}

export interface CounterfactualReport {
  examples: number;
  pairs: PairResult[];
  overallFlipRate: number;
  worst: Array<{
    dimension: string;
    from: string;
    to: string;
    original: string;
    counterfactual: string;
    predictedOriginal: string;
    predictedCounterfactual: string;
    logLikelihoodGap: number;
    ref?: string | number;
  }>;
}

export async function counterfactualConsistency(
  examples: CounterfactualExample[],
  matcher: TermMatcher,
  scorer: AuditScorer,
  options: { labels?: string[]; worst?: number } = {},
): Promise<CounterfactualReport> {
  const pairs = new Map<string, PairResult & { gapSum: number }>();
  const worst: CounterfactualReport['worst'] = [];
  let used = 0;
  let totalFlips = 0;
  let totalPairs = 0;
  for (const ex of examples) {
    const dimensions = [...matcher.groupsMentioned(ex.prompt).keys()];
    if (dimensions.length === 0) continue;
    used += 1;
    const basePred = options.labels ? await scorer.predict(ex.prompt, options.labels) : '';
    const baseLl = await scorer.logLikelihood(ex.prompt, ex.completion);
    for (const dimension of dimensions) {
      for (const cf of matcher.counterfactuals(ex.prompt, dimension)) {
        const pred = options.labels ? await scorer.predict(cf.text, options.labels) : '';
        const ll = await scorer.logLikelihood(cf.text, ex.completion);
        const key = `${dimension}\u0000${cf.from}\u0000${cf.to}`;
        const p = pairs.get(key) ?? {
          dimension,
          from: cf.from,
          to: cf.to,
          count: 0,
          flips: 0,
          flipRate: 0,
          meanAbsLogLikelihoodGap: 0,
          gapSum: 0,
        };
        const flipped = options.labels !== undefined && pred !== basePred;
        p.count += 1;
        p.flips += flipped ? 1 : 0;
        p.gapSum += Math.abs(ll - baseLl);
        pairs.set(key, p);
        totalPairs += 1;
        totalFlips += flipped ? 1 : 0;
        worst.push({
          dimension,
          from: cf.from,
          to: cf.to,
          original: ex.prompt,
          counterfactual: cf.text,
          predictedOriginal: basePred,
          predictedCounterfactual: pred,
          logLikelihoodGap: ll - baseLl,
          ref: ex.ref,
        });
      }
    }
  }
  worst.sort(
    (a, b) =>
      Number(b.predictedOriginal !== b.predictedCounterfactual) -
        Number(a.predictedOriginal !== a.predictedCounterfactual) ||
      Math.abs(b.logLikelihoodGap) - Math.abs(a.logLikelihoodGap),
  );
  return {
    examples: used,
    pairs: [...pairs.values()]
      .map(({ gapSum, ...p }) => ({
        ...p,
        flipRate: p.flips / p.count,
        meanAbsLogLikelihoodGap: gapSum / p.count,
      }))
      .sort((a, b) => b.flipRate - a.flipRate || b.meanAbsLogLikelihoodGap - a.meanAbsLogLikelihoodGap),
    overallFlipRate: totalPairs === 0 ? 0 : totalFlips / totalPairs,
    worst: worst.slice(0, options.worst ?? 10),
  };
}
