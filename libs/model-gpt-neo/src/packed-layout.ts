// Attention for packed rows without paying for the whole row. A packed row holds several examples back
// to back; attention never crosses them, so dense (T × T) attention over a row of 1024 tokens spends
// most of its work on scores that are masked away. Instead the examples (segments) of the batch are
// grouped by length into a few buckets; each bucket gathers its segments' rows into (n, L) — L its
// longest segment — and attends there with one causal (and local-window) mask of (L, L) shared by all
// its segments (the model builds it on the device); the outputs go back to their flat positions by one
// gather. The result equals dense attention with segment masks for every real token (the same scores
// and softmax over the same keys: a real query's causal keys all lie inside its own segment); a bucket
// slot past its segment's end only fills the (n, L) block, and its output is never gathered back;
// slots outside any segment (a row's padding) get a zero attention output, and carry no label.
//
// Buckets are chosen by a small dynamic programme over the sorted segment lengths: a bucket costs
// n · L² score cells plus a fixed cost per bucket standing for its op launches.

/** One bucket: n segments padded to L, as flat row indices into (B·T). */
export interface PackedBucket {
  n: number;
  L: number;
  /** (n·L) flat positions of each segment's tokens; a padding slot repeats the segment's first position. */
  index: Int32Array;
}

export interface PackedLayout {
  buckets: PackedBucket[];
  /** (B·T) row of each flat position in the buckets' outputs laid end to end; `zeroRow` for no segment. */
  scatter: Int32Array;
  /** Index of the zero row appended after the buckets' outputs. */
  zeroRow: number;
}

interface Segment {
  start: number;
  length: number;
}

/** Fixed cost of one bucket, in score cells: op launches and gathers that do not scale with L². */
const BUCKET_COST = 32 * 1024;

/** The segments of a packed batch: maximal runs of one segment id ≥ 0 (and attention mask 1) within a row. */
export function packedSegments(B: number, T: number, segmentIds: Int32Array, mask?: Int32Array): Segment[] {
  const segments: Segment[] = [];
  for (let b = 0; b < B; b++) {
    let t = 0;
    while (t < T) {
      const i = b * T + t;
      const id = segmentIds[i];
      if (id < 0 || (mask && mask[i] === 0)) {
        t++;
        continue;
      }
      let end = t + 1;
      while (end < T && segmentIds[b * T + end] === id && !(mask && mask[b * T + end] === 0)) end++;
      segments.push({ start: i, length: end - t });
      t = end;
    }
  }
  return segments;
}

/** Groups segments (any order) into buckets of similar length: contiguous runs of the sorted lengths. */
export function chooseBuckets(lengths: readonly number[]): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
  const k = order.length;
  // best[j] = least cost of bucketing the j shortest segments; cut[j] = where the last bucket starts
  const best = new Float64Array(k + 1).fill(Infinity);
  const cut = new Int32Array(k + 1);
  best[0] = 0;
  for (let j = 1; j <= k; j++) {
    const L = lengths[order[j - 1]];
    for (let i = 0; i < j; i++) {
      const cost = best[i] + (j - i) * L * L + BUCKET_COST;
      if (cost < best[j]) {
        best[j] = cost;
        cut[j] = i;
      }
    }
  }
  const groups: number[][] = [];
  for (let j = k; j > 0; j = cut[j]) groups.unshift(order.slice(cut[j], j));
  return groups;
}

/** The packed layout of a batch with segment ids (no cached keys). */
export function packedLayout(B: number, T: number, segmentIds: Int32Array, mask: Int32Array | undefined): PackedLayout {
  const segments = packedSegments(B, T, segmentIds, mask);
  const groups = chooseBuckets(segments.map((s) => s.length));
  const scatter = new Int32Array(B * T);
  let offset = 0;
  const buckets = groups.map((group): PackedBucket => {
    const n = group.length;
    const L = Math.max(...group.map((g) => segments[g].length));
    const index = new Int32Array(n * L);
    group.forEach((g, s) => {
      const { start, length } = segments[g];
      for (let q = 0; q < L; q++) {
        index[s * L + q] = q < length ? start + q : start;
        if (q < length) scatter[start + q] = offset + s * L + q;
      }
    });
    offset += n * L;
    return { n, L, index };
  });
  const zeroRow = offset;
  const inSegment = new Uint8Array(B * T);
  for (const { start, length } of segments) inSegment.fill(1, start, start + length);
  for (let i = 0; i < B * T; i++) if (!inSegment[i]) scatter[i] = zeroRow;
  return { buckets, scatter, zeroRow };
}
