import { describe, expect, it } from 'vitest';
import { countTargets, IGNORE_INDEX } from './labels';

describe('countTargets', () => {
  it('counts labelled positions after the first, skipping IGNORE_INDEX', () => {
    const I = IGNORE_INDEX;
    expect(countTargets([5, I, 7, 8, I])).toBe(2); // position 0 is never a target
    expect(countTargets(Int32Array.from([I, I, I]))).toBe(0);
    expect(countTargets([])).toBe(0);
  });
});
