// Token-level examples and a right-padding collate function for trainer tests, plus a synthetic task a
// bigram model can learn: after a random prompt, the completion token is a fixed permutation of the
// prompt's last token. Loss applies to the completion only, as with a completion-only collator.
import { Random } from '../data/random';
import { IGNORE_INDEX, type CollatedBatch, type DataSource } from '../types';

export interface TokenExample {
  inputIds: number[];
  labels: number[];
}

export const PAD_ID = 0;

export function collateTokens(examples: TokenExample[]): CollatedBatch {
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.inputIds.length));
  const inputIds = new Int32Array(B * T).fill(PAD_ID);
  const attentionMask = new Int32Array(B * T);
  const labels = new Int32Array(B * T).fill(IGNORE_INDEX);
  examples.forEach((e, b) => {
    e.inputIds.forEach((id, t) => {
      inputIds[b * T + t] = id;
      attentionMask[b * T + t] = 1;
      labels[b * T + t] = e.labels[t];
    });
  });
  return { batchSize: B, seqLen: T, inputIds, attentionMask, labels };
}

export function tokenSource(examples: TokenExample[]): DataSource<TokenExample> {
  return { examples, collate: collateTokens, lengths: examples.map((e) => e.inputIds.length) };
}

export interface PermutationTaskOptions {
  vocabSize: number; // content tokens are 1..V-1; 0 is padding
  count: number;
  seed: number;
  /** Seed of the hidden mapping; a different one gives a task that contradicts this one. */
  mappingSeed?: number;
  /** Completion length is drawn from 1..maxCompletion (each token maps the previous one). */
  maxCompletion?: number;
}

export function permutationTask(o: PermutationTaskOptions): TokenExample[] {
  const V = o.vocabSize;
  const perm = new Random(o.mappingSeed ?? 7).permutation(V - 1).map((x) => x + 1);
  const rng = new Random(o.seed);
  const out: TokenExample[] = [];
  for (let i = 0; i < o.count; i++) {
    const prompt = Array.from({ length: 2 + rng.int(5) }, () => 1 + rng.int(V - 1));
    const completion: number[] = [];
    const n = 1 + rng.int(o.maxCompletion ?? 1);
    let prev = prompt[prompt.length - 1];
    for (let k = 0; k < n; k++) completion.push((prev = perm[prev - 1]));
    out.push({
      inputIds: [...prompt, ...completion],
      labels: [...prompt.map(() => IGNORE_INDEX), ...completion],
    });
  }
  return out;
}
