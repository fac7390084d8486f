import { describe, expect, it } from 'vitest';
import { contentHashes } from '../dedup/hash';
import { assignSplit, cutPositions, parseSplit, quotas, type SplitName, splitPosition } from './split';

const position = (text: string, seed = 42) => {
  const h = contentHashes([text]).normalized;
  return splitPosition(h.hi, h.lo, seed);
};

function assign(texts: string[], seed = 42): Map<string, SplitName> {
  const us = texts.map((t) => position(t, seed));
  const cut = cutPositions(Uint32Array.from(us), [0.8, 0.1, 0.1]);
  return new Map(texts.map((t, i) => [t, assignSplit(us[i], cut)]));
}

describe('parseSplit', () => {
  it('reads three ratios summing to 1', () => {
    expect(parseSplit('0.8,0.1,0.1')).toEqual([0.8, 0.1, 0.1]);
    expect(parseSplit('1, 0, 0')).toEqual([1, 0, 0]);
    expect(() => parseSplit('0.8,0.2')).toThrow('three non-negative numbers');
    expect(() => parseSplit('0.8,0.1,0.2')).toThrow('must sum to 1');
    expect(() => parseSplit('0.9,-0.1,0.2')).toThrow('non-negative');
  });
});

describe('quotas', () => {
  it('rounds by largest remainder so the counts add up', () => {
    expect(quotas(10, [0.8, 0.1, 0.1])).toEqual([8, 1, 1]);
    expect(quotas(8, [0.8, 0.1, 0.1])).toEqual([6, 1, 1]);
    expect(quotas(5, [0.8, 0.1, 0.1])).toEqual([4, 1, 0]);
    expect(quotas(5, [0.8, 0.1, 0.1], 2)).toEqual([4, 0, 1]);
    expect(quotas(3, [0.5, 0.5, 0])).toEqual([2, 1, 0]);
    expect(quotas(0, [0.8, 0.1, 0.1])).toEqual([0, 0, 0]);
  });
});

describe('split assignment', () => {
  const texts = Array.from({ length: 1000 }, (_, i) => `record number ${i}`);

  it('hits the quotas exactly and is deterministic for a seed', () => {
    const a = assign(texts);
    const counts = { train: 0, validation: 0, test: 0 };
    for (const s of a.values()) counts[s] += 1;
    expect(counts).toEqual({ train: 800, validation: 100, test: 100 });
    expect(assign(texts)).toEqual(a);
    expect(assign(texts, 7)).not.toEqual(a);
  });

  it('moves at most a few boundary records when records are added', () => {
    const before = assign(texts);
    const after = assign([...texts, ...Array.from({ length: 20 }, (_, i) => `new record ${i}`)]);
    const moved = texts.filter((t) => before.get(t) !== after.get(t));
    expect(moved.length).toBeLessThanOrEqual(2 * 20);
    expect(moved.length).toBeLessThan(texts.length / 20);
  });

  it('gives a record the same position whatever else is in the file', () => {
    expect(position('same text')).toBe(position('same text'));
    expect(position('same text')).toBeLessThan(2 ** 32);
    expect(position('same  text ')).toBe(position('same text'));
  });
});
