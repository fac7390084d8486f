// Deterministic, stratified, hash-stable train/validation/test assignment.
//
// Each record gets a position u in [0, 2^32) from its normalized-content hash mixed with the seed,
// so u depends on the record and the seed only. Within each stratum (one per label, or one for all
// records when there is no label) records are ordered by u and cut by quotas: the first
// round(n·train) go to train, the next round(n·validation) to validation, the rest to test (largest
// remainder rounding, so the three counts add up to n). That makes every label's split counts exact
// (stratified), and the cut points are per-label u thresholds, so:
// - adding records of one label never moves a record of another label;
// - adding k records to a label moves at most k existing records across each cut point, and only
//   records whose u is next to a threshold; every other record keeps its split.
// Fixed thresholds on u (u < 0.8 → train, …) would never move a record but leave per-label counts to
// chance (a label with 8 records gets no test record 43 % of the time); the quota cut keeps both
// properties up to the records at the boundary. Same input and seed → identical assignment.
import { UserError } from '@ftune/common';
import { contentHashes } from '../dedup/hash';

export type SplitName = 'train' | 'validation' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

/** Fractions for train, validation and test; they sum to 1. */
export type SplitRatios = readonly [number, number, number];
export const DEFAULT_SPLIT: SplitRatios = [0.8, 0.1, 0.1];

/** Parses `--split 0.8,0.1,0.1` (three non-negative numbers summing to 1 within 1e-6). */
export function parseSplit(text: string): SplitRatios {
  const parts = text.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.length !== 3 || nums.some((x, i) => parts[i] === '' || !Number.isFinite(x) || x < 0)) {
    throw new UserError(`--split must be three non-negative numbers like 0.8,0.1,0.1, got "${text}"`);
  }
  const sum = nums[0] + nums[1] + nums[2];
  if (Math.abs(sum - 1) > 1e-6) throw new UserError(`--split ratios must sum to 1, got ${sum} ("${text}")`);
  return [nums[0], nums[1], nums[2]];
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Position of a record in [0, 2^32): its 64-bit normalized hash mixed with the seed. 32 bits keep
 * memory at 4 bytes a record; two records of a label share a position at a cut point about once in
 * 2^32/n cuts, and then that label's counts are off by one (still deterministic).
 */
export function splitPosition(hi: number, lo: number, seed: number): number {
  const s0 = seed >>> 0;
  const s1 = Math.floor(seed / 4294967296) >>> 0;
  return fmix32(hi ^ fmix32(lo ^ fmix32(s0 ^ 0x9e3779b9) ^ fmix32(s1 ^ 0x7f4a7c15)));
}

/**
 * How many of `n` records each split gets: largest remainder rounding of n·ratio. Equal remainders
 * (validation and test with equal ratios) are broken in split order rotated by `tieOffset`, which the
 * caller derives from the label, so that labels do not all round the same way.
 */
export function quotas(n: number, ratios: SplitRatios, tieOffset = 0): [number, number, number] {
  const exact = ratios.map((r) => n * r);
  const q = exact.map((x) => Math.floor(x + 1e-9)) as [number, number, number];
  let left = n - q[0] - q[1] - q[2];
  const rank = (i: number) => (i - tieOffset + 3) % 3;
  const remainder = (i: number) => Math.round((exact[i] - q[i]) * 1e9);
  const order = [0, 1, 2].sort((a, b) => remainder(b) - remainder(a) || rank(a) - rank(b));
  for (let k = 0; left > 0; k = (k + 1) % 3) {
    if (ratios[order[k]] > 0) {
      q[order[k]] += 1;
      left -= 1;
    }
  }
  return q;
}

/** The rounding tie-break of a label's stratum (see `quotas`); 0 for unlabelled data. */
export function tieOffsetOf(label: string | undefined): number {
  return label === undefined ? 0 : contentHashes([label]).exact % 3;
}

/** Per-stratum u thresholds: u < train → train, u < validation → validation, else test. */
export interface Cut {
  train: number;
  validation: number;
}

/** The cut of one stratum from all its positions (the array is sorted in place). */
export function cutPositions(positions: Uint32Array, ratios: SplitRatios, tieOffset = 0): Cut {
  positions.sort();
  const n = positions.length;
  const [qt, qv] = quotas(n, ratios, tieOffset);
  return {
    train: qt < n ? positions[qt] : Number.POSITIVE_INFINITY,
    validation: qt + qv < n ? positions[qt + qv] : Number.POSITIVE_INFINITY,
  };
}

export function assignSplit(u: number, cut: Cut): SplitName {
  if (u < cut.train) return 'train';
  if (u < cut.validation) return 'validation';
  return 'test';
}
