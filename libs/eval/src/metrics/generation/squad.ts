// Exact match and token-level F1 with the SQuAD v1.1/v2.0 answer normalisation (official evaluation
// script): lower-case, remove ASCII punctuation, remove the articles a/an/the, collapse whitespace.
// Token F1 counts the multiset overlap of whitespace tokens; when either side has no token it is
// 1 if both are empty, else 0 (the v2.0 script's rule for unanswerable questions).

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** SQuAD answer normalisation. */
export function normalizeAnswer(text: string): string {
  let s = text.toLowerCase();
  s = Array.from(s)
    .filter((ch) => !PUNCTUATION.has(ch))
    .join('');
  s = s.replace(/\b(a|an|the)\b/g, ' ');
  return s.split(/\s+/).filter(Boolean).join(' ');
}

/** 1 when the normalised texts are equal, else 0. */
export function exactMatch(prediction: string, reference: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(reference) ? 1 : 0;
}

/** SQuAD token-level F1 between a prediction and a reference. */
export function tokenF1(prediction: string, reference: string): number {
  const pred = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const gold = normalizeAnswer(reference).split(' ').filter(Boolean);
  if (pred.length === 0 || gold.length === 0) return pred.length === gold.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / pred.length;
  const recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}
