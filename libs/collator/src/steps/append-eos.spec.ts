import { describe, expect, it } from 'vitest';
import { collateTexts, EOS, trainedText } from '../testing';

const ANSWER = '### Answer:';

describe('appendEos: completions end with EOS', () => {
  it('pitfall: a text without <|endoftext|> never shows the model where to stop', () => {
    const r = collateTexts(['Q: 2+2?\n### Answer: 4'], { responseTemplate: ANSWER });
    expect(r.json.input_ids[0].slice(0, 11)).not.toContain(50256);
    expect(r.json.labels[0]).not.toContain(50256);
    expect(trainedText(r)).toBe(' 4');
  });

  it('appending alone is not enough with pad = eos: the seed masks the appended EOS again', () => {
    const r = collateTexts(['Q: 2+2?\n### Answer: 4'], { responseTemplate: ANSWER, appendEos: true });
    expect(r.json.input_ids[0].slice(0, 12)).toContain(50256);
    expect(r.json.labels[0]).not.toContain(50256);
  });

  it('cure: appendEos with keepEos trains the EOS after the completion', () => {
    const r = collateTexts(['Q: 2+2?\n### Answer: 4'], {
      responseTemplate: ANSWER,
      appendEos: true,
      keepEos: true,
    });
    expect(trainedText(r)).toBe(` 4${EOS}`);
  });

  it('does not add a second EOS, and an example cut by truncation gets none', () => {
    const once = collateTexts([`Q: 2+2?\n### Answer: 4${EOS}`], {
      responseTemplate: ANSWER,
      appendEos: true,
      keepEos: true,
    });
    expect(trainedText(once)).toBe(` 4${EOS}`);
    const cut = collateTexts(['Q: 2+2?\n### Answer: four, five, six'], {
      responseTemplate: ANSWER,
      appendEos: true,
      keepEos: true,
      maxLength: 12,
    });
    expect(cut.json.input_ids[0].slice(0, 12)).not.toContain(50256);
    expect(trainedText(cut)).toBe(' four,');
  });
});
