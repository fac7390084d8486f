// Language-model metrics over completion tokens only, token-weighted over the whole split:
// loss = −Σ log p / N over every completion token of every example (not a mean of per-batch means,
// which is what the Hugging Face Trainer's eval_loss reports), perplexity = exp(loss),
// token accuracy = share of tokens whose argmax prediction was the reference token.
import type { TokenScores } from '../scoring/scorer';

export interface LmMetrics {
  /** Mean negative log-likelihood (nats) per completion token; null when there is no token. */
  loss: number | null;
  /** exp(loss); Infinity when exp overflows; null when there is no token. */
  perplexity: number | null;
  /** Share of completion tokens predicted exactly by argmax; null when there is no token. */
  token_accuracy: number | null;
  /** Completion tokens counted. */
  tokens: number;
  /** Examples counted (including ones whose completion had no token). */
  examples: number;
}

/** Aggregates per-example token scores into split-level LM metrics. */
export function lmMetrics(scores: readonly TokenScores[]): LmMetrics {
  let nll = 0;
  let tokens = 0;
  let correct = 0;
  for (const s of scores) {
    for (const lp of s.logProbs) nll -= lp;
    for (const c of s.correct) if (c) correct++;
    tokens += s.logProbs.length;
  }
  if (tokens === 0)
    return { loss: null, perplexity: null, token_accuracy: null, tokens, examples: scores.length };
  const loss = nll / tokens;
  return {
    loss,
    perplexity: Math.exp(loss),
    token_accuracy: correct / tokens,
    tokens,
    examples: scores.length,
  };
}

/** Mean negative log-likelihood per token of one example (null when the completion has no token). */
export function exampleLoss(scores: TokenScores): number | null {
  if (scores.logProbs.length === 0) return null;
  let nll = 0;
  for (const lp of scores.logProbs) nll -= lp;
  return nll / scores.logProbs.length;
}
