import { describe, expect, it } from 'vitest';
import { contentHashes, normalizeText } from './hash';
import { SeenTable } from './seen-table';

describe('content hashes', () => {
  it('match exactly only for identical fields', () => {
    const a = contentHashes(['Hello world', 'yes']);
    expect(contentHashes(['Hello world', 'yes'])).toEqual(a);
    expect(contentHashes(['Hello world', 'Yes']).exact).not.toEqual(a.exact);
    expect(contentHashes(['Hello worldyes', '']).exact).not.toEqual(a.exact);
  });

  it('normalize NFC and whitespace runs, and nothing else', () => {
    const a = contentHashes(['Caf\u00e9  au\tlait ', 'x']);
    const b = contentHashes([' Cafe\u0301 au\n\nlait', 'x']);
    expect(b.normalized).toEqual(a.normalized);
    expect(b.exact).not.toEqual(a.exact);
    expect(contentHashes(['cafe au lait', 'x']).normalized).not.toEqual(a.normalized);
    // normalizing is idempotent
    expect(contentHashes([normalizeText(' Cafe\u0301 au\n\nlait'), 'x']).normalized).toEqual(a.normalized);
  });
});

describe('SeenTable', () => {
  it('keeps the first line and tells exact from normalized repeats, across growth', () => {
    const t = new SeenTable(8);
    const hi = (i: number) => Math.imul(i, 2654435761) >>> 0;
    for (let i = 1; i <= 5000; i++) expect(t.addOrFind(hi(i), i, i, i)).toBeUndefined();
    expect(t.size).toBe(5000);
    expect(t.addOrFind(hi(77), 77, 77, 9000)).toEqual({ line: 77, exact: true });
    expect(t.addOrFind(hi(77), 77, 12345, 9001)).toEqual({ line: 77, exact: false });
    t.reserve(100000);
    expect(t.bytes).toBeGreaterThanOrEqual(((100000 * 4) / 3) * 12);
    expect(t.addOrFind(hi(4999), 4999, 1, 9002)).toEqual({ line: 4999, exact: false });
    expect(t.size).toBe(5000);
  });
});

describe('exact hash', () => {
  it('tells apart texts in normal form from their un-normalized variants, and matches identical ones', () => {
    const variants = ['a b', ' a b', 'a b ', 'a  b', 'a\nb', 'a\u00a0b'];
    const exact = variants.map((v) => contentHashes([v]).exact);
    expect(new Set(exact).size).toBe(variants.length);
    expect(variants.map((v) => contentHashes([v]).normalized)).toEqual(
      variants.map(() => contentHashes(['a b']).normalized),
    );
    expect(variants.map((v) => contentHashes([v]).exact)).toEqual(exact);
  });
});
