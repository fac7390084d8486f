// ROUGE-L (Lin, 2004) as Google's rouge-score package computes it by default: tokens are the runs
// of [a-z0-9] after lower-casing (everything else separates tokens, no stemming), the longest common
// subsequence gives precision = LCS/|prediction| and recall = LCS/|reference|, and the F-measure is
// their harmonic mean (0 when either side has no token).

export interface RougeL {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** rouge-score's default tokenizer (no stemmer). */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter(Boolean);
}

/** Length of the longest common subsequence (O(|a|·|b|) time, O(|b|) memory). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** ROUGE-L of one prediction against one reference. */
export function rougeL(prediction: string, reference: string): RougeL {
  const pred = rougeTokens(prediction);
  const ref = rougeTokens(reference);
  if (pred.length === 0 || ref.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(pred, ref);
  const precision = lcs / pred.length;
  const recall = lcs / ref.length;
  const fmeasure = lcs === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, fmeasure };
}
