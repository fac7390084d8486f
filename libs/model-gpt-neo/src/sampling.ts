// Choosing the next token from one row of logits: greedy, or temperature → top-k → top-p → sample, the order of
// Hugging Face's logits warpers (TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper; min_tokens_to_keep 1).
// Runs on plain arrays (one row of V floats per step) with ftune's seeded generator, so results do not depend on
// the tfjs backend; they are not bit-equal to PyTorch's sampling.
import { UserError } from '@ftune/common';
import type { Rng } from './random';

export interface GenerateOptions {
  /** Most new tokens to produce (default 20). */
  maxNewTokens?: number;
  /** 0 or absent = greedy (argmax); > 0 = sample from softmax(logits / temperature). */
  temperature?: number;
  /** Sampling only: keep the k most likely tokens (0 or absent = all). */
  topK?: number;
  /** Sampling only: keep the most likely tokens whose cumulative probability reaches p (1 or absent = all). */
  topP?: number;
  /** Seed of the sampling stream (default 0). */
  seed?: number;
  /** Stop token; default the config's eos_token_id; null = never stop early. */
  eosTokenId?: number | null;
}

export function validateGenerateOptions(o: GenerateOptions): void {
  if (o.maxNewTokens !== undefined && !(Number.isInteger(o.maxNewTokens) && o.maxNewTokens >= 0)) {
    throw new UserError(`max new tokens must be a non-negative integer, got ${o.maxNewTokens}`);
  }
  if (o.temperature !== undefined && !(o.temperature >= 0)) throw new UserError(`temperature must be ≥ 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) throw new UserError(`top-k must be a non-negative integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new UserError(`top-p must be in (0, 1], got ${o.topP}`);
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** The next token id for one row of logits. */
export function pickNextToken(logits: Float32Array, o: GenerateOptions, rng: Rng): number {
  validateGenerateOptions(o);
  if (!o.temperature) return argmax(logits);
  // Candidates sorted by logit, descending (ties by id, as a stable sort).
  let order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  if (o.topK && o.topK < order.length) {
    const kth = logits[order[o.topK - 1]];
    order = order.filter((id) => logits[id] >= kth); // HF keeps every token tied with the k-th
  }
  const max = logits[order[0]];
  let probs = order.map((id) => Math.exp((logits[id] - max) / (o.temperature as number)));
  let total = probs.reduce((a, b) => a + b, 0);
  if (o.topP !== undefined && o.topP < 1) {
    // Keep the smallest prefix whose probability mass reaches top_p (at least one token).
    let mass = 0;
    let keep = 0;
    while (keep < order.length && (keep === 0 || mass < o.topP * total)) mass += probs[keep++];
    order = order.slice(0, keep);
    probs = probs.slice(0, keep);
    total = mass;
  }
  let u = rng.next() * total;
  for (let i = 0; i < order.length; i++) {
    u -= probs[i];
    if (u < 0) return order[i];
  }
  return order[order.length - 1];
}
