import { describe, expect, it } from 'vitest';
import { classOf, LETTER, NUMBER, OTHER, SPACE, WHITESPACE_CODE_POINTS } from './unicode';

describe('character classes of the GPT-2 pattern', () => {
  it('treats exactly the Oniguruma Unicode whitespace set as space', () => {
    for (const cp of WHITESPACE_CODE_POINTS) expect(classOf(cp), cp.toString(16)).toBe(SPACE);
    // where JavaScript's \s and Python's str.isspace disagree with the tokenizer's regex engine
    expect(classOf(0x85)).toBe(SPACE); // NEL: not in JS \s
    expect(classOf(0xfeff)).toBe(OTHER); // BOM: in JS \s
    for (const cp of [0x1c, 0x1d, 0x1e, 0x1f]) expect(classOf(cp)).toBe(OTHER); // isspace() but not \s
    expect(classOf(0x180e)).toBe(OTHER); // Mongolian vowel separator: no longer Zs
    expect(classOf(0x200b)).toBe(OTHER); // zero-width space: Cf
    expect(/\s/.test('\ufeff') && !/\s/.test('\u0085')).toBe(true);
  });

  it('uses \\p{L} and \\p{N}: marks are neither, other numbers are numbers', () => {
    expect(classOf('é'.codePointAt(0) as number)).toBe(LETTER);
    expect(classOf(0x301)).toBe(OTHER); // combining acute accent (Mn)
    expect(classOf('日'.codePointAt(0) as number)).toBe(LETTER);
    expect(classOf('½'.codePointAt(0) as number)).toBe(NUMBER);
    expect(classOf('٣'.codePointAt(0) as number)).toBe(NUMBER);
    expect(classOf('😀'.codePointAt(0) as number)).toBe(OTHER);
    expect(classOf(0x1d400)).toBe(LETTER); // mathematical bold A, outside the BMP
  });
});
