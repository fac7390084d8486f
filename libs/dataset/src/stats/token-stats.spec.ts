import { describe, expect, it } from 'vitest';
import { TokenLengthStats } from './token-stats';

const words = (t: string) => t.split(' ').length;

describe('TokenLengthStats', () => {
  it('gives exact nearest-rank percentiles when every record is counted', () => {
    const s = new TokenLengthStats(words, 15);
    for (let n = 1; n <= 20; n++) s.add(Array(n).fill('w').join(' '), 0);
    expect(s.summary()).toEqual({
      records: 20,
      counted: 20,
      exact: true,
      min: 1,
      median: 10,
      p95: 19,
      max: 20,
      mean: 10.5,
      overMaxLength: 5,
      overMaxLengthAtMost: 12, // texts of more than 15 bytes
      maxLength: 15,
    });
  });

  it('counts lengths past the dense range', () => {
    const s = new TokenLengthStats((t) => t.length, 10);
    s.add('x'.repeat(70000), 0);
    s.add('x', 0);
    expect(s.summary()).toMatchObject({ min: 1, median: 1, max: 70000, overMaxLength: 1 });
  });

  it('tokenizes only the sample and scales the over-max-length count, bounded by the byte count', () => {
    const calls: string[] = [];
    const count = (t: string) => (calls.push(t), t.length);
    const s = new TokenLengthStats(count, 50, 0.5);
    const half = 2 ** 31;
    s.add('a'.repeat(10), 0); // sampled
    s.add('b'.repeat(80), 1); // sampled, over
    s.add('c'.repeat(90), half + 1); // not sampled: only its byte count is looked at
    s.add('d'.repeat(5), half + 1);
    expect(calls.map((c) => c[0])).toEqual(['a', 'b']);
    expect(s.summary()).toMatchObject({
      records: 4,
      counted: 2,
      exact: false,
      max: 80,
      overMaxLength: 2,
      overMaxLengthAtMost: 2,
      min: 10,
    });
  });
});
