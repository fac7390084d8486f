// Corpus BLEU-4 with sacreBLEU's defaults (Post, 2018): the mteval-v13a tokenizer, case-sensitive,
// one reference per segment, n-gram counts clipped by the reference and summed over the corpus,
// brevity penalty exp(1 − r/c) when the system is shorter than the references, and the "exp"
// smoothing (NIST mteval-v13a, Chen & Cherry 2014 method 3): the k-th order whose matches are zero gets
// precision 1/(2^k · total) instead of 0. Scores are on sacreBLEU's 0–100 scale.

export const BLEU_MAX_ORDER = 4;

export interface Bleu {
  /** Corpus BLEU, 0–100. */
  score: number;
  /** Modified n-gram precisions for n = 1..4, 0–100 (after smoothing). */
  precisions: number[];
  /** Brevity penalty in (0, 1]. */
  brevity_penalty: number;
  /** Total system (prediction) and reference tokens. */
  sys_len: number;
  ref_len: number;
  /** How scores were computed, in sacreBLEU's signature style. */
  signature: string;
}

/** sacreBLEU's `13a` tokenizer (mteval-v13a.pl). */
export function tokenize13a(line: string): string[] {
  let s = line.trimEnd();
  s = s
    .replace(/<skipped>/g, '')
    .replace(/-\n/g, '')
    .replace(/\n/g, ' ');
  s = s
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
  s = ` ${s} `;
  s = s.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean);
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0001');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Corpus BLEU of predictions against one reference each. */
export function corpusBleu(predictions: readonly string[], references: readonly string[]): Bleu {
  if (predictions.length !== references.length) throw new Error('corpusBleu: one reference per prediction');
  const correct = new Array<number>(BLEU_MAX_ORDER).fill(0);
  const total = new Array<number>(BLEU_MAX_ORDER).fill(0);
  let sysLen = 0;
  let refLen = 0;
  for (let i = 0; i < predictions.length; i++) {
    const hyp = tokenize13a(predictions[i]);
    const ref = tokenize13a(references[i]);
    sysLen += hyp.length;
    refLen += ref.length;
    for (let n = 1; n <= BLEU_MAX_ORDER; n++) {
      const refCounts = ngramCounts(ref, n);
      for (const [gram, c] of ngramCounts(hyp, n)) {
        total[n - 1] += c;
        correct[n - 1] += Math.min(c, refCounts.get(gram) ?? 0);
      }
    }
  }
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(BLEU_MAX_ORDER).fill(0);
  const signature = `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp`;
  const result = { brevity_penalty: bp, sys_len: sysLen, ref_len: refLen, signature };
  if (correct.every((c) => c === 0)) return { score: 0, precisions, ...result };
  let smooth = 1;
  let logSum = 0;
  for (let n = 0; n < BLEU_MAX_ORDER; n++) {
    if (total[n] === 0) {
      // no n-grams of this order at all: the geometric mean collapses to 0, as in sacreBLEU
      return { score: 0, precisions, ...result };
    }
    if (correct[n] === 0) {
      smooth *= 2;
      precisions[n] = 100 / (smooth * total[n]);
    } else {
      precisions[n] = (100 * correct[n]) / total[n];
    }
    logSum += Math.log(precisions[n]);
  }
  return { score: bp * Math.exp(logSum / BLEU_MAX_ORDER), precisions, ...result };
}
