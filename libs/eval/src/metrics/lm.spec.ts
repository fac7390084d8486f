import { describe, expect, it } from 'vitest';
import { exampleLoss, lmMetrics } from './lm';

const ln = Math.log;

describe('lmMetrics', () => {
  it('weights every completion token equally across the split', () => {
    const m = lmMetrics([
      { logProbs: [ln(0.5), ln(0.25)], correct: [true, false], promptTokens: 3 },
      { logProbs: [ln(0.5)], correct: [true], promptTokens: 1 },
    ]);
    // −(ln ½ + ln ¼ + ln ½) / 3 = 4 ln 2 / 3; a mean of per-example means would give 1.25 ln 2
    expect(m.loss).toBeCloseTo((4 * Math.LN2) / 3, 12);
    expect(m.loss).not.toBeCloseTo(1.25 * Math.LN2, 3);
    expect(m.perplexity).toBeCloseTo(2 ** (4 / 3), 12);
    expect(m.token_accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.tokens).toBe(3);
    expect(m.examples).toBe(2);
  });

  it('reports null figures when there is no completion token', () => {
    expect(lmMetrics([{ logProbs: [], correct: [], promptTokens: 2 }])).toEqual({
      loss: null,
      perplexity: null,
      token_accuracy: null,
      tokens: 0,
      examples: 1,
    });
  });

  it('gives each example its mean token loss', () => {
    expect(
      exampleLoss({ logProbs: [ln(0.5), ln(0.125)], correct: [true, false], promptTokens: 0 }),
    ).toBeCloseTo(2 * Math.LN2, 12);
    expect(exampleLoss({ logProbs: [], correct: [], promptTokens: 0 })).toBeNull();
  });
});
