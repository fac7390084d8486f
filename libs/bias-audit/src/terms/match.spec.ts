import { describe, expect, it } from 'vitest';
import { loadTermLists, validateTermLists } from './terms';
import { matchCase, TermMatcher } from './match';

const matcher = new TermMatcher(loadTermLists());

describe('term matching', () => {
  it('finds whole words only, any case for lower-case terms', () => {
    const m = matcher.mentions('She said the shepherd and HER brother were there.');
    expect(m.map((x) => [x.term, x.group])).toEqual([
      ['she', 'female'],
      ['her', 'female'],
      ['brother', 'male'],
    ]);
    expect(matcher.mentions('The sheriff heard them.')).toEqual([]);
  });

  it('matches capitalised terms only as written', () => {
    expect(matcher.mentions('a black cat').filter((m) => m.dimension === 'race_ethnicity')).toEqual([]);
    expect(
      matcher
        .mentions('a Black man')
        .filter((m) => m.dimension === 'race_ethnicity')
        .map((m) => m.group),
    ).toEqual(['black']);
  });

  it('builds counterfactuals keeping capitalisation, one per target group', () => {
    expect(matcher.counterfactuals('She told her sister.', 'gender')).toEqual([
      { from: 'female', to: 'male', text: 'He told his brother.' },
    ]);
    const rel = matcher.counterfactuals('The priest went to church.', 'religion').map((c) => c.text);
    expect(rel).toEqual(['The imam went to mosque.', 'The rabbi went to synagogue.']);
    expect(matchCase('HER', 'his')).toBe('HIS');
    expect(matcher.counterfactuals('No group here.', 'gender')).toEqual([]);
  });

  it('rejects malformed user term lists naming the place', () => {
    expect(() => validateTermLists({ dimensions: [] })).toThrow(/dimensions: must be a non-empty list/);
    expect(() =>
      validateTermLists({
        dimensions: [
          {
            name: 'g',
            groups: [
              { name: 'a', terms: ['x'] },
              { name: 'b', terms: ['y'] },
            ],
            swaps: [['x', 'z']],
          },
        ],
      }),
    ).toThrow(/dimensions\[0\]\.swaps\[0\]: \["x","z"\] uses a term that is in no group/);
  });
});
