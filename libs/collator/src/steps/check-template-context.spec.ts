import { describe, expect, it } from 'vitest';
import { collateTexts, gpt2Tokenizer, trainedText } from '../testing';
import { resolveTemplate } from '../template';

// trl's own docs format texts like this and use the template " ### Answer:" (docs/hf-semantics.md §3.5)
const TEXT = '### Question: what?\n ### Answer: that';

describe('template tokenized differently in context', () => {
  it('pitfall: "### Answer:" is [21017, 23998, 25] alone but " ###" is 44386 in the text: nothing is trained', () => {
    const r = collateTexts([TEXT], { responseTemplate: '### Answer:' });
    expect(r.json.labels[0].every((l) => l === -100)).toBe(true);
    expect(r.warnings.map((w) => w.code)).toEqual(['response-template-not-found']);
  });

  it('checkTemplateContext says why, with the ids the text really has', () => {
    const r = collateTexts([TEXT], { responseTemplate: '### Answer:', checkTemplateContext: true });
    expect(r.warnings.map((w) => w.code)).toEqual([
      'template-differs-in-context',
      'response-template-not-found',
    ]);
    expect(r.warnings[0].message).toContain('[44386, 23998, 25]');
    expect(r.warnings[0].example).toBe('line 1');
  });

  it('stays quiet when the template matches, and flags a trailing space', () => {
    expect(
      collateTexts([TEXT], { responseTemplate: ' ### Answer:', checkTemplateContext: true }).warnings,
    ).toEqual([]);
    const spaced = collateTexts(['Q\n### Answer: 4'], {
      responseTemplate: '### Answer: ',
      checkTemplateContext: true,
    });
    expect(spaced.warnings[0].code).toBe('template-differs-in-context');
  });

  it("cure: a template given with its context matches, like trl's ids-with-context trick", () => {
    const r = collateTexts([TEXT], {
      responseTemplate: { text: '### Answer:', context: '\n ' },
      checkTemplateContext: true,
    });
    expect(trainedText(r)).toBe(' that');
    expect(r.warnings).toEqual([]);
    // the same ids trl's docs get with encode("\n ### Answer:")[1:]
    expect(resolveTemplate({ text: '### Answer:', context: '\n ' }, gpt2Tokenizer()).ids).toEqual([
      44386, 23998, 25,
    ]);
    expect(resolveTemplate({ text: '### Assistant:', context: '\n' }, gpt2Tokenizer()).ids).toEqual([
      21017, 15286, 25,
    ]);
  });
});
