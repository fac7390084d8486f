import { describe, expect, it } from 'vitest';
import { fakeModel } from '../testing';
import { predictLabel, softmax } from './label-scoring';
import { scoreCompletions } from './scorer';

describe('predictLabel', () => {
  it('picks the candidate with the highest log-likelihood and renormalises over the candidates', () => {
    const p = predictLabel([-1, -2, -0.5], ['neg', 'neu', 'pos']);
    expect(p.label).toBe('pos');
    expect(p.index).toBe(2);
    const z = Math.exp(-1) + Math.exp(-2) + Math.exp(-0.5);
    expect(p.probabilities[0]).toBeCloseTo(Math.exp(-1) / z, 12);
    expect(p.confidence).toBeCloseTo(Math.exp(-0.5) / z, 12);
  });

  it('breaks ties towards the earlier label and survives very negative scores', () => {
    expect(predictLabel([-3, -3], ['a', 'b']).label).toBe('a');
    const p = predictLabel([-1000, -1001], ['a', 'b']);
    expect(p.probabilities[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(softmax([0, 0, 0, 0])).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('refuses an empty label set or mismatched scores', () => {
    expect(() => predictLabel([], [])).toThrow(/empty label set/);
    expect(() => predictLabel([0], ['a', 'b'])).toThrow(/1 scores for 2 labels/);
  });

  it('sums the token log-probabilities the model supplies for each candidate', async () => {
    const table: Record<string, number[]> = {
      ' good': [Math.log(0.6)],
      ' not good': [Math.log(0.3), Math.log(0.5)],
    };
    const model = fakeModel({ name: 'fake', logProbs: (_p, c) => table[c] });
    const ll = await scoreCompletions(model.scorer, 'Review: fine.', [' good', ' not good']);
    expect(ll[0]).toBeCloseTo(Math.log(0.6), 12);
    expect(ll[1]).toBeCloseTo(Math.log(0.15), 12);
    expect(predictLabel(ll, [' good', ' not good']).label).toBe(' good');
  });
});
