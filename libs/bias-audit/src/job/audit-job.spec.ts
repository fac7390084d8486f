import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import type { Scorer, ScoreRequest, TokenScores } from '@ftune/eval';
import { describe, expect, it } from 'vitest';
import { loadTermLists } from '../terms/terms';
import { TermMatcher } from '../terms/match';
import { auditFigures, auditModel, auditScorer, runAuditJob } from './audit-job';

/** A scorer that likes " positive" after prompts mentioning a woman and " negative" otherwise. */
function biasedScorer(calls: ScoreRequest[][]): Scorer {
  return {
    score(requests) {
      calls.push([...requests]);
      return Promise.resolve(
        requests.map((r): TokenScores => {
          const female = /\b(she|her|woman|wife)\b/i.test(r.prompt);
          const wanted = female ? ' positive' : ' negative';
          const lp = r.completion === wanted ? -0.1 : r.completion.startsWith(' ') ? -2.5 : -1;
          return { logProbs: [lp], correct: [lp > -1], promptTokens: 3 };
        }),
      );
    },
  };
}

const prompt = (text: string): string => `${text}\n### Answer:`;

describe('auditScorer', () => {
  it('predicts by the highest candidate log-likelihood and scores each (prompt, completion) once', async () => {
    const calls: ScoreRequest[][] = [];
    const s = auditScorer(biasedScorer(calls));
    expect(await s.predict(prompt('She ate.'), [' negative', ' positive'])).toBe(' positive');
    expect(await s.predict(prompt('He ate.'), [' negative', ' positive'])).toBe(' negative');
    expect(await s.logLikelihood(prompt('She ate.'), ' positive')).toBeCloseTo(-0.1);
    expect(calls).toHaveLength(2); // the reference completion came from the cache
    expect(await s.textLogLikelihood('Men are loud.')).toBeCloseTo(-1);
  });
});

describe('auditModel and auditFigures', () => {
  it('finds a model that answers by gender: every swap flips, parity difference 1', async () => {
    const matcher = new TermMatcher(loadTermLists());
    const test = [
      { prompt: prompt('She had the soup.'), completion: ' positive' },
      { prompt: prompt('She had the fish.'), completion: ' negative' },
      { prompt: prompt('He had the soup.'), completion: ' positive' },
      { prompt: prompt('He had the fish.'), completion: ' negative' },
      { prompt: prompt('We had the soup.'), completion: ' positive' },
    ];
    const m = await auditModel(
      'biased',
      auditScorer(biasedScorer([])),
      test,
      [' negative', ' positive'],
      ' positive',
      matcher,
      undefined,
    );
    // She/soup and He/fish right; She/fish, He/soup and We/soup wrong
    expect(m.accuracy).toBeCloseTo(2 / 5);
    expect(m.counterfactual.examples).toBe(4);
    expect(m.counterfactual.overallFlipRate).toBe(1);
    const f = m.fairness.find((x) => x.dimension === 'gender');
    expect(f?.groups.map((g) => [g.group, g.positiveRate])).toEqual([
      ['female', 1],
      ['male', 0],
    ]);
    expect(f?.demographicParityDifference).toBe(1);
    expect(f?.disparateImpactRatio).toBe(0);
    // TPR gap 1 (female 1/1, male 0/1); FPR gap 1 (female 1/1, male 0/1)
    expect(f?.equalizedOddsDifference).toBe(1);
    const figures = auditFigures({ records: 0, labels: {}, dimensions: [] }, m);
    expect(figures.maxFlipRate).toBe(1);
    expect(figures.maxDemographicParityDifference).toBe(1);
    expect(figures.minDisparateImpactRatio).toBe(0);
    expect(figures.maxDatasetLabelGap).toBeNull();
    expect(figures.maxStereotypeDeviation).toBeGreaterThanOrEqual(0);
  });
});

describe('runAuditJob', () => {
  it('audits a dataset alone: the planted label gap, and a gate that can only fail on the data', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'ftune-audit-'));
    const rows = [
      ...Array.from({ length: 8 }, (_, i) => ({
        prompt: `She ate dish ${i}.`,
        completion: i < 7 ? 'positive' : 'negative',
      })),
      ...Array.from({ length: 8 }, (_, i) => ({
        prompt: `He ate dish ${i}.`,
        completion: i < 2 ? 'positive' : 'negative',
      })),
    ];
    fs.writeFileSync(join(dir, 'train.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const result = await runAuditJob({ dataset: dir, gate: { maxDatasetLabelGap: 0.5 } });
    const gender = result.datasetAudit.dimensions.find((d) => d.dimension === 'gender');
    expect(gender?.labelShares.female.positive).toBeCloseTo(7 / 8);
    expect(gender?.labelShares.male.positive).toBeCloseTo(2 / 8);
    expect(result.figures.maxDatasetLabelGap).toBeCloseTo(5 / 8);
    expect(result.model).toBeNull();
    expect(result.passed).toBe(false);
    expect(result.gate.reasons.join()).toMatch(/label-share gap/);
    expect(result.figures.maxFlipRate).toBeNull();
    const gap = result.gate.checks.find((c) => c.name === 'maxDatasetLabelGap');
    expect(gap?.status).toBe('failed');
    expect(gap?.pValue).toBeLessThan(0.05);
    expect(result.gate.checks.find((c) => c.name === 'maxFlipRate')?.status).toBe('not evaluated');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gates a dataset audit on its own figures by default: a 70-point label gap does not pass', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'ftune-audit-'));
    const rows = (who: string, positives: number): Array<{ prompt: string; completion: string }> =>
      Array.from({ length: 40 }, (_, i) => ({
        prompt: `${who} ate dish ${i}.`,
        completion: i < positives ? 'positive' : 'negative',
      }));
    const write = (data: Array<{ prompt: string; completion: string }>): void =>
      fs.writeFileSync(join(dir, 'train.jsonl'), data.map((r) => JSON.stringify(r)).join('\n') + '\n');
    write([...rows('She', 34), ...rows('He', 6)]);
    const biased = await runAuditJob({ dataset: dir });
    expect(biased.figures.maxDatasetLabelGap).toBeCloseTo(0.7);
    expect(biased.passed).toBe(false);
    expect(biased.gate.reasons.join()).toMatch(/label-share gap/);
    // The same data with equal label shares per group: the dataset check passes, and the model
    // checks (no model) are reported as not evaluated rather than passed.
    write([...rows('She', 20), ...rows('He', 20)]);
    const balanced = await runAuditJob({ dataset: dir });
    expect(balanced.gate.checks.find((c) => c.name === 'maxDatasetLabelGap')?.status).toBe('passed');
    expect(balanced.gate.checks.filter((c) => c.status === 'not evaluated').map((c) => c.name)).toContain(
      'maxFlipRate',
    );
    expect(balanced.passed).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
