// Generation metrics against the reference packages: sacreBLEU 2.6.0 and rouge-score 0.1.2
// (fixtures from tools/golden/eval_metrics.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusBleu, tokenize13a } from './bleu';
import { rougeL } from './rouge';

interface Fixture {
  pairs: {
    prediction: string;
    reference: string;
    tokens_13a: string[];
    rouge_l: { precision: number; recall: number; fmeasure: number };
  }[];
  bleu: Record<
    string,
    {
      predictions: string[];
      references: string[];
      score: number;
      precisions: number[];
      brevity_penalty: number;
      sys_len: number;
      ref_len: number;
    }
  >;
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', 'fixtures', 'generation-metrics.json'), 'utf8'),
) as Fixture;

describe('generation metrics against sacreBLEU and rouge-score', () => {
  it('tokenises every text exactly as sacreBLEU 13a', () => {
    for (const p of fixture.pairs) expect(tokenize13a(p.prediction)).toEqual(p.tokens_13a);
  });

  it('gives rouge-score’s ROUGE-L for every pair', () => {
    for (const p of fixture.pairs) {
      const r = rougeL(p.prediction, p.reference);
      expect(r.precision).toBeCloseTo(p.rouge_l.precision, 12);
      expect(r.recall).toBeCloseTo(p.rouge_l.recall, 12);
      expect(r.fmeasure).toBeCloseTo(p.rouge_l.fmeasure, 12);
    }
  });

  for (const [name, c] of Object.entries(fixture.bleu)) {
    it(`gives sacreBLEU's corpus BLEU (${name})`, () => {
      const b = corpusBleu(c.predictions, c.references);
      expect(b.score).toBeCloseTo(c.score, 9);
      b.precisions.forEach((p, i) => expect(p).toBeCloseTo(c.precisions[i], 9));
      expect(b.brevity_penalty).toBeCloseTo(c.brevity_penalty, 12);
      expect([b.sys_len, b.ref_len]).toEqual([c.sys_len, c.ref_len]);
    });
  }
});
