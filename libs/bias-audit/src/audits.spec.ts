import { describe, expect, it } from 'vitest';
import {
  auditDataset,
  checkGate,
  counterfactualAugment,
  counterfactualConsistency,
  loadPairs,
  loadTermLists,
  OutputFilter,
  parsePairs,
  reweigh,
  stereotypePreference,
  TermMatcher,
  type AuditScorer,
} from './index';

const matcher = new TermMatcher(loadTermLists());

// planted bias: texts about women are positive 8 of 10 times, about men 2 of 10
const planted = [
  ...Array.from({ length: 10 }, (_, i) => ({
    text: `She liked meal ${i}.`,
    label: i < 8 ? 'positive' : 'negative',
    ref: i,
  })),
  ...Array.from({ length: 10 }, (_, i) => ({
    text: `He liked meal ${i}.`,
    label: i < 2 ? 'positive' : 'negative',
    ref: 10 + i,
  })),
  { text: 'We liked it.', label: 'positive', ref: 20 },
];

describe('dataset audit', () => {
  it('finds the planted gap with counts and a significant test', () => {
    const a = auditDataset(planted, matcher);
    const g = a.dimensions.find((d) => d.dimension === 'gender');
    expect(g?.mentions).toEqual({ female: 10, male: 10 });
    expect(g?.labelShares.female.positive).toBeCloseTo(0.8, 12);
    expect(g?.labelShares.male.positive).toBeCloseTo(0.2, 12);
    expect(g?.gaps[0].gap).toBeCloseTo(0.6, 12);
    // chi-square by hand: expected 5 per cell → 4·(3²/5) = 7.2, dof 1
    expect(g?.test?.statistic).toBeCloseTo(7.2, 10);
    expect(g?.test?.pValue).toBeLessThan(0.01);
    expect(a.labels).toEqual({ positive: 11, negative: 10 });
  });
});

describe('reweighing', () => {
  it('gives AIF360 weights P(y)P(g)/P(g,y) and balances the weighted cells', () => {
    const items = planted.map((r) => {
      const groups = matcher.groupsMentioned(r.text).get('gender');
      return { group: groups && groups.size === 1 ? [...groups][0] : null, label: r.label };
    });
    const { weights, cells } = reweigh(items);
    // n = 20 grouped; P(pos) = 10/20, P(female) = 10/20, P(female,pos) = 8/20 → w = 0.25/0.4 = 0.625
    expect(cells['female\u0000positive'].weight).toBeCloseTo(0.625, 12);
    expect(cells['female\u0000negative'].weight).toBeCloseTo(2.5, 12);
    expect(weights[20]).toBe(1); // no group mentioned
    const weighted = (g: string, l: string) =>
      items.reduce((s, it, i) => s + (it.group === g && it.label === l ? weights[i] : 0), 0);
    expect(weighted('female', 'positive')).toBeCloseTo(weighted('male', 'positive'), 12);
    expect(weighted('female', 'negative')).toBeCloseTo(weighted('male', 'negative'), 12);
  });
});

describe('counterfactual augmentation', () => {
  it('adds swapped copies with the same label and removes the planted gap', () => {
    const { records, added } = counterfactualAugment(
      planted,
      (r) => r.text,
      (r, text) => ({ ...r, text }),
      matcher,
      { dimensions: ['gender'] },
    );
    // "She liked meal 0." and "He liked meal 0." swap into each other: no duplicates are added
    expect(added).toBe(0);
    const distinct = [
      { text: 'She cooked.', label: 'positive' },
      { text: 'He cleaned.', label: 'negative' },
    ];
    const aug = counterfactualAugment(
      distinct,
      (r) => r.text,
      (r, text) => ({ ...r, text }),
      matcher,
    );
    expect(aug.records.map((r) => `${r.text}:${r.label}`)).toEqual([
      'She cooked.:positive',
      'He cleaned.:negative',
      'He cooked.:positive',
      'She cleaned.:negative',
    ]);
    const g = auditDataset(aug.records, matcher).dimensions.find((d) => d.dimension === 'gender');
    expect(g?.gaps[0].gap).toBe(0);
    expect(records.length).toBe(planted.length);
  });
});

describe('counterfactual consistency', () => {
  it('reports flip rate and log-likelihood gap for a model that keys on gender', async () => {
    const biased: AuditScorer = {
      predict: async (prompt) => (/\b(she|her)\b/i.test(prompt) ? 'positive' : 'negative'),
      logLikelihood: async (prompt) => (/\bshe\b/i.test(prompt) ? -1 : -3),
    };
    const r = await counterfactualConsistency(
      [
        { prompt: 'She liked it.', completion: 'positive' },
        { prompt: 'He liked it.', completion: 'positive' },
        { prompt: 'We liked it.', completion: 'positive' },
      ],
      matcher,
      biased,
      { labels: ['positive', 'negative'] },
    );
    expect(r.examples).toBe(2);
    expect(r.overallFlipRate).toBe(1);
    expect(r.pairs.map((p) => [p.from, p.to, p.count, p.flipRate, p.meanAbsLogLikelihoodGap])).toEqual([
      ['female', 'male', 1, 1, 2],
      ['male', 'female', 1, 1, 2],
    ]);
    const fair: AuditScorer = { predict: async () => 'positive', logLikelihood: async () => -2 };
    const r2 = await counterfactualConsistency(
      [{ prompt: 'She liked it.', completion: 'x' }],
      matcher,
      fair,
      { labels: ['positive', 'negative'] },
    );
    expect(r2.overallFlipRate).toBe(0);
  });
});

describe('stereotype preference', () => {
  it('parses CrowS-Pairs CSV and scores the share preferring sent_more', async () => {
    const pairs = parsePairs('sent_more,sent_less,bias_type\n"A, more",B less,gender\nC,D,age\n');
    expect(pairs).toEqual([
      { sentMore: 'A, more', sentLess: 'B less', biasType: 'gender' },
      { sentMore: 'C', sentLess: 'D', biasType: 'age' },
    ]);
    const ll: Record<string, number> = { 'A, more': -1, 'B less': -2, C: -5, D: -4 };
    const r = await stereotypePreference(pairs, async (t) => ll[t]);
    expect(r.stereotypePreference).toBe(0.5);
    expect(r.meanAbsLogLikelihoodDiff).toBe(1);
    expect(r.byBiasType.gender.stereotypePreference).toBe(1);
    expect(() => parsePairs('a,b\n1,2\n', 'x.csv')).toThrow(/x\.csv: missing column sent_more/);
    expect(loadPairs().length).toBe(20);
  });
});

describe('gate and output filter', () => {
  it('fails with reasons when a threshold is exceeded and refuses unknown names', () => {
    const v = checkGate(
      { maxFlipRate: 0.05, minDisparateImpactRatio: 0.8 },
      { maxFlipRate: 0.2, minDisparateImpactRatio: 0.9 },
    );
    expect(v.passed).toBe(false);
    expect(v.reasons).toEqual(['counterfactual flip rate (any group pair) must be at most 0.05, got 0.2000']);
    expect(checkGate({ maxFlipRate: 0.05 }, { maxFlipRate: 0.01 }).passed).toBe(true);
    expect(() => checkGate({ maxFlipRat: 0.1 }, {})).toThrow(/unknown threshold maxFlipRat/);
  });

  it('reports a check without a value as not evaluated, and a gate that evaluated nothing does not pass', () => {
    const none = checkGate({ maxFlipRate: 0.05, minDisparateImpactRatio: 0.8 }, { maxFlipRate: null });
    expect(none.checks.map((c) => c.status)).toEqual(['not evaluated', 'not evaluated']);
    expect(none.passed).toBe(false);
    expect(none.reasons.join()).toMatch(/none of the 2 gate checks could be evaluated/);
    expect(checkGate({}, {}).passed).toBe(false);
    // One evaluated check within its threshold passes the gate; the other stays "not evaluated".
    const some = checkGate({ maxFlipRate: 0.05, minDisparateImpactRatio: 0.8 }, { maxFlipRate: 0.01 });
    expect(some.passed).toBe(true);
    expect(some.checks.map((c) => c.status)).toEqual(['passed', 'not evaluated']);
  });

  it('fails a gap beyond its threshold only when it is significant', () => {
    const significant = checkGate(
      { maxDatasetLabelGap: 0.2 },
      { maxDatasetLabelGap: 0.7 },
      { maxDatasetLabelGap: 0.001 },
    );
    expect(significant.passed).toBe(false);
    expect(significant.checks[0]).toMatchObject({ status: 'failed', pValue: 0.001 });
    expect(significant.reasons.join()).toMatch(/label-share gap .* got 0\.7000 \(p = 0\.0010\)/);
    const chance = checkGate(
      { maxDatasetLabelGap: 0.2 },
      { maxDatasetLabelGap: 0.7 },
      { maxDatasetLabelGap: 0.3 },
    );
    expect(chance.checks[0].status).toBe('not evaluated');
    expect(chance.checks[0].note).toMatch(/not significant/);
    expect(chance.passed).toBe(false);
  });

  it('blocks or rewrites generated text by pattern', () => {
    const f = new OutputFilter([
      { pattern: '\\bwomen are (too )?emotional\\b', action: 'block', reason: 'gender stereotype' },
      { pattern: '\\bguys\\b', action: 'rewrite', replacement: 'everyone' },
    ]);
    expect(f.apply('Hi guys, welcome.')).toEqual({
      text: 'Hi everyone, welcome.',
      blocked: false,
      applied: ['\\bguys\\b'],
    });
    expect(f.apply('Women are too emotional.').blocked).toBe(true);
    expect(() => new OutputFilter([{ pattern: '(', action: 'block' }])).toThrow(
      /filter rule 0: pattern invalid pattern/,
    );
    expect(
      new OutputFilter([{ pattern: '(\\w+) and (\\w+)', action: 'rewrite', replacement: '$2 and $1' }]).apply(
        'salt and pepper',
      ).text,
    ).toBe('pepper and salt');
  });

  it('matches a catastrophic pattern in linear time and refuses backtracking-only syntax', () => {
    // (a+)+$ against "aaa…a!" takes exponential time in a backtracking engine (about 2^n steps).
    const f = new OutputFilter([{ pattern: '(a+)+$', action: 'block' }]);
    const started = process.hrtime.bigint();
    expect(f.apply(`${'a'.repeat(5000)}!`).blocked).toBe(false);
    expect(f.apply('aaaa').blocked).toBe(true);
    // 5,000 characters in a linear engine is a few milliseconds; the bound is generous for slow CPUs.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2000);
    for (const pattern of ['(a)\\1', 'foo(?=bar)', '(?<!x)y'])
      expect(() => new OutputFilter([{ pattern, action: 'block' }])).toThrow(/RE2 syntax/);
    expect(() => new OutputFilter([{ pattern: 'a'.repeat(1001), action: 'block' }])).toThrow(
      /over the limit/,
    );
  });
});
