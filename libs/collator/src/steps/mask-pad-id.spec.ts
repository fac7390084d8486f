import { describe, expect, it } from 'vitest';
import { collateTexts, EOS } from '../testing';

const ANSWER = '### Answer:';
const A = `Q: 2+2?\n${ANSWER} 4${EOS}`; // ids end [..., 25, 604, 50256]

describe('keepEos: padding masked by position, not by id', () => {
  it('pitfall: with pad = eos the seed masks the real EOS, so the model never learns to stop', () => {
    const { json } = collateTexts([A], { responseTemplate: ANSWER });
    expect(json.input_ids[0][11]).toBe(50256);
    expect(json.labels[0].slice(10, 12)).toEqual([604, -100]);
  });

  it('cure: the real EOS stays a target while padding is still ignored', () => {
    const { json } = collateTexts([A], { responseTemplate: ANSWER, keepEos: true });
    expect(json.labels[0].slice(10)).toEqual([604, 50256, -100, -100, -100, -100]);
    expect(json.attention_mask[0].slice(11)).toEqual([1, 0, 0, 0, 0]);
  });

  it('keeps a mid-text document separator as input but masks it as prompt', () => {
    const { json } = collateTexts([`doc${EOS}Q: hi\n${ANSWER} yo${EOS}`], {
      responseTemplate: ANSWER,
      keepEos: true,
    });
    const labels = json.labels[0];
    expect(labels.filter((l) => l === 50256)).toHaveLength(1); // the final EOS only; the separator is prompt
  });
});
