import { describe, expect, it } from 'vitest';
import { allMatches, lastMatch, resolveTemplate, TemplateError } from './template';
import { gpt2Tokenizer } from './testing';

describe('templates', () => {
  it('encodes text templates on their own, as trl does', () => {
    expect(resolveTemplate('### Answer:', gpt2Tokenizer()).ids).toEqual([21017, 23998, 25]);
    expect(resolveTemplate(' ### Answer:', gpt2Tokenizer()).ids).toEqual([44386, 23998, 25]);
    expect(resolveTemplate('\n### User:', gpt2Tokenizer()).ids).toEqual([198, 21017, 11787, 25]);
  });

  it('takes ids as they are and names them as trl prints a list', () => {
    expect(resolveTemplate([21017, 23998, 25])).toEqual({
      ids: [21017, 23998, 25],
      label: '[21017, 23998, 25]',
      text: undefined,
    });
  });

  it('refuses text without a tokenizer and templates with no tokens', () => {
    expect(() => resolveTemplate('### Answer:')).toThrow(TemplateError);
    expect(() => resolveTemplate([])).toThrow(/no tokens/);
    expect(() => resolveTemplate('', gpt2Tokenizer())).toThrow(/no tokens/);
  });

  it('finds the last and all occurrences, overlapping ones included', () => {
    const labels = Int32Array.from([5, 1, 1, 1, 7, 1, 1]);
    expect(allMatches(labels, [1, 1])).toEqual([1, 2, 5]);
    expect(lastMatch(labels, [1, 1])).toBe(5);
    expect(lastMatch(labels, [7, 1, 1, 9])).toBe(-1);
    expect(lastMatch(labels, [-100])).toBe(-1);
  });
});
