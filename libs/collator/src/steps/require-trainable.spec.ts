import { describe, expect, it } from 'vitest';
import { collateTexts } from '../testing';

const ANSWER = '### Answer:';
// 11 tokens; max length 10 keeps the template ("... ### Answer :") and cuts " four"
const CUT = 'Q: two plus two?\n### Answer: four';
const OK = 'Q: 1?\n### Answer: 1';

describe('untrainableRows: rows whose completion was truncated away', () => {
  it('pitfall: the seed raises nothing and spends a row on zero trainable tokens', () => {
    const r = collateTexts([CUT, OK], { responseTemplate: ANSWER, maxLength: 10 });
    expect(r.warnings).toEqual([]);
    expect(r.json.labels[0].every((l) => l === -100)).toBe(true);
    expect(r.batch.batchSize).toBe(2);
  });

  it("cure 'report': a warning names the example and says truncation did it", () => {
    const r = collateTexts([CUT, OK], { responseTemplate: ANSWER, maxLength: 10, untrainableRows: 'report' });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ code: 'no-trainable-tokens', example: 'line 1' });
    expect(r.warnings[0].message).toContain('truncation');
    expect(r.batch.batchSize).toBe(2);
  });

  it("cure 'drop': the row leaves the batch, which pads to the rows that remain", () => {
    const r = collateTexts([CUT, OK], { responseTemplate: ANSWER, maxLength: 10, untrainableRows: 'drop' });
    expect(r.batch.batchSize).toBe(1);
    expect(r.dropped).toEqual(['line 1']);
    expect(r.examples).toEqual([['line 2']]);
    expect(r.json.labels[0].filter((l) => l !== -100)).toHaveLength(1);
  });

  it('also catches rows whose template was cut (after the generic not-found warning)', () => {
    const r = collateTexts([CUT], { responseTemplate: ANSWER, maxLength: 8, untrainableRows: 'drop' });
    expect(r.warnings.map((w) => w.code)).toEqual(['response-template-not-found', 'no-trainable-tokens']);
    expect(r.batch.batchSize).toBe(0);
  });
});
