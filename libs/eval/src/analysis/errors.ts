// Error analysis: the confusion matrix's largest off-diagonal cells, metrics per input-length bucket
// and the worst-scored examples. Pure functions over per-example figures computed elsewhere.

export interface ConfusionCell {
  gold: string;
  predicted: string;
  count: number;
  /** count / gold support: the share of this gold label that went to `predicted`. */
  share_of_gold: number;
}

/** Off-diagonal cells, largest first (ties: row then column order), at most `limit`, zero cells left out. */
export function largestConfusions(
  confusion: readonly number[][],
  labels: readonly string[],
  limit = 5,
): ConfusionCell[] {
  const cells: ConfusionCell[] = [];
  confusion.forEach((row, g) => {
    const support = row.reduce((a, b) => a + b, 0);
    row.forEach((count, p) => {
      if (g !== p && count > 0)
        cells.push({ gold: labels[g], predicted: labels[p], count, share_of_gold: count / support });
    });
  });
  return cells.sort((a, b) => b.count - a.count).slice(0, limit);
}

export interface LengthBucket {
  /** Inclusive bounds of the prompt length in tokens. */
  min_tokens: number;
  max_tokens: number;
  examples: number;
  /** Token-weighted completion loss of the bucket; null when it has no completion token. */
  loss: number | null;
  /** Classification accuracy in the bucket (classification data only). */
  accuracy?: number;
  /** Mean token F1 of greedy generations in the bucket (generation data only). */
  token_f1?: number;
}

export interface PerExample {
  promptTokens: number;
  /** Sum of completion-token negative log-likelihoods and their count. */
  nll: number;
  tokens: number;
  correct?: boolean;
  tokenF1?: number;
}

/**
 * Splits examples into at most `buckets` groups of near-equal size by prompt length (quantile
 * bounds; examples of equal length always share a bucket) and reports each group's figures.
 */
export function lengthBuckets(items: readonly PerExample[], buckets = 4): LengthBucket[] {
  if (items.length === 0) return [];
  const order = items.map((_, i) => i).sort((a, b) => items[a].promptTokens - items[b].promptTokens);
  const groups: number[][] = [];
  let current: number[] = [];
  for (let r = 0; r < order.length; r++) {
    current.push(order[r]);
    const target = Math.ceil(((groups.length + 1) * order.length) / buckets);
    const next = order[r + 1];
    const boundary = next === undefined || items[next].promptTokens !== items[order[r]].promptTokens;
    if (boundary && (r + 1 >= target || next === undefined)) {
      groups.push(current);
      current = [];
    }
  }
  return groups.map((g) => {
    const nll = g.reduce((a, i) => a + items[i].nll, 0);
    const tokens = g.reduce((a, i) => a + items[i].tokens, 0);
    const bucket: LengthBucket = {
      min_tokens: items[g[0]].promptTokens,
      max_tokens: items[g[g.length - 1]].promptTokens,
      examples: g.length,
      loss: tokens > 0 ? nll / tokens : null,
    };
    const withLabel = g.filter((i) => items[i].correct !== undefined);
    if (withLabel.length > 0)
      bucket.accuracy = withLabel.filter((i) => items[i].correct).length / withLabel.length;
    const withF1 = g.filter((i) => items[i].tokenF1 !== undefined);
    if (withF1.length > 0)
      bucket.token_f1 = withF1.reduce((a, i) => a + (items[i].tokenF1 ?? 0), 0) / withF1.length;
    return bucket;
  });
}

/** Indices of the `limit` items with the lowest score (ties: lower index first). */
export function worstIndices(scores: readonly (number | null)[], limit: number): number[] {
  return scores
    .map((s, i) => ({ s, i }))
    .filter((x): x is { s: number; i: number } => x.s !== null && !Number.isNaN(x.s))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .slice(0, limit)
    .map((x) => x.i);
}
