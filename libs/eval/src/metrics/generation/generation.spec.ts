import { describe, expect, it } from 'vitest';
import { corpusBleu, tokenize13a } from './bleu';
import { lcsLength, rougeL, rougeTokens } from './rouge';
import { exactMatch, normalizeAnswer, tokenF1 } from './squad';

describe('SQuAD exact match and token F1', () => {
  it('normalises case, punctuation, articles and whitespace', () => {
    expect(normalizeAnswer('The  Cat, sat!')).toBe('cat sat');
    expect(exactMatch('The cat sat.', 'cat  sat')).toBe(1);
    expect(exactMatch('cat sat', 'cat sits')).toBe(0);
  });

  it('computes token F1 from the multiset overlap', () => {
    // pred cat sat on mat (4), gold cat on mat (3): overlap 3 → P ¾, R 1, F1 6/7
    expect(tokenF1('the cat sat on the mat', 'a cat on a mat')).toBeCloseTo(6 / 7, 12);
    // x x y vs x y y: overlap min counts = 2 → P = R = ⅔
    expect(tokenF1('x x y', 'x y y')).toBeCloseTo(2 / 3, 12);
    expect(tokenF1('dog', 'cat')).toBe(0);
  });

  it('scores empty answers as the SQuAD v2 script does', () => {
    expect(tokenF1('', 'The')).toBe(1); // both normalise to no token
    expect(tokenF1('the', 'cat')).toBe(0);
  });
});

describe('ROUGE-L', () => {
  it('tokenises like rouge-score (lower-case alphanumeric runs)', () => {
    expect(rougeTokens("Don't stop-me NOW!")).toEqual(['don', 't', 'stop', 'me', 'now']);
  });

  it('uses the longest common subsequence for precision, recall and F', () => {
    expect(lcsLength(['a', 'b', 'c', 'd'], ['a', 'c', 'e'])).toBe(2);
    const same = rougeL('the cat sat on the mat', 'The cat is on the mat');
    expect(same.fmeasure).toBeCloseTo(5 / 6, 12);
    const r = rougeL('A b C d', 'a c e');
    expect(r.precision).toBe(0.5);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
    expect(r.fmeasure).toBeCloseTo((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3), 12);
    expect(rougeL('', 'a').fmeasure).toBe(0);
  });
});

describe('corpus BLEU', () => {
  it('tokenises as sacreBLEU 13a', () => {
    // expected tokens from sacreBLEU's own regular expressions
    expect(tokenize13a("Hello, world! It's 3.5-4 e.g. (ok)")).toEqual([
      'Hello',
      ',',
      'world',
      '!',
      "It's",
      '3.5',
      '-',
      '4',
      'e',
      '.',
      'g',
      '.',
      '(',
      'ok',
      ')',
    ]);
    expect(tokenize13a('Price: $1,000.50; a&amp;b "q" x-y 12-3 end.')).toEqual([
      'Price',
      ':',
      '$',
      '1,000.50',
      ';',
      'a',
      '&',
      'b',
      '"',
      'q',
      '"',
      'x-y',
      '12',
      '-',
      '3',
      'end',
      '.',
    ]);
    expect(tokenize13a('Tabs\tand\nnew-\nlines <skipped> [x]{y}~')).toEqual([
      'Tabs',
      'and',
      'newlines',
      '[',
      'x',
      ']',
      '{',
      'y',
      '}',
      '~',
    ]);
  });

  it('is 100 for identical text', () => {
    expect(corpusBleu(['the cat sat on the mat'], ['the cat sat on the mat']).score).toBeCloseTo(100, 10);
  });

  it('matches hand-computed clipped precisions', () => {
    // 1-grams 5/6 ("the" clipped to 1), 2-grams 3/5, 3-grams 2/4, 4-grams 1/3 → (1/12)^(1/4)
    const b = corpusBleu(['the cat sat on the mat'], ['the cat sat on a mat']);
    expect(b.precisions[0]).toBeCloseTo(500 / 6, 10);
    expect(b.precisions[3]).toBeCloseTo(100 / 3, 10);
    expect(b.brevity_penalty).toBe(1);
    expect(b.score).toBeCloseTo(100 * (1 / 12) ** 0.25, 10);
  });

  it('applies the brevity penalty and exp smoothing to a zero-match order', () => {
    // 3/4, 2/3, 1/2, 0/1 → smoothed 1/(2·1); BP = exp(1 − 6/4)
    const b = corpusBleu(['the cat sat down'], ['the cat sat on the mat']);
    expect(b.precisions[3]).toBeCloseTo(50, 10);
    expect(b.brevity_penalty).toBeCloseTo(Math.exp(-0.5), 12);
    expect(b.score).toBeCloseTo(100 * Math.exp(-0.5) * (0.75 * (2 / 3) * 0.5 * 0.5) ** 0.25, 10);
  });

  it('sums statistics over the corpus rather than averaging sentence scores', () => {
    const b = corpusBleu(['the cat sat on the mat', 'x y z w'], ['the cat sat on a mat', 'x y z w']);
    // 9/10, 6/8, 4/6, 2/4
    expect(b.score).toBeCloseTo(100 * (0.9 * 0.75 * (4 / 6) * 0.5) ** 0.25, 10);
    expect(b.sys_len).toBe(10);
  });

  it('is 0 without any match or without n-grams of every order', () => {
    expect(corpusBleu(['a b c d'], ['e f g h']).score).toBe(0);
    expect(corpusBleu(['the cat'], ['the cat sat on the mat']).score).toBe(0);
    expect(corpusBleu([''], ['x']).score).toBe(0);
  });
});
