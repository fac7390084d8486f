// Token-length statistics in bounded memory: an exact histogram of lengths (one counter per length
// below 65 536 tokens, a small map above), so percentiles are exact over the records counted, whatever
// their number. Percentiles use the nearest-rank definition: the p-th percentile is the smallest
// length L such that at least ⌈p·n⌉ counted records have at most L tokens.
//
// Tokenizing is the slowest step of ingestion, so large inputs may be sampled: a record is counted
// when its split position falls under `sampleRate` (a uniform, seeded, deterministic sample), and
// every figure then comes from the sample (the over-max-length count scaled to all records). What
// stays exact is `overMaxLengthAtMost`: a GPT-2 token covers at least one UTF-8 byte, so only records
// with more bytes than `maxLength` can have more tokens than that.

export interface TokenLengthSummary {
  /** Records seen (all accepted records). */
  records: number;
  /** Records whose length is in min/median/p95/mean (all of them when `exact`). */
  counted: number;
  /** True when every record was counted (no sampling). */
  exact: boolean;
  min: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
  /** Records with more tokens than `maxLength` (scaled from the sample when not `exact`). */
  overMaxLength: number;
  /** Exact upper bound of `overMaxLength`: records with more UTF-8 bytes than `maxLength`. */
  overMaxLengthAtMost: number;
  maxLength: number;
}

const DENSE = 65536;
/** Split positions are in [0, 2^32). */
const POSITION_RANGE = 2 ** 32;

export class TokenLengthStats {
  private readonly dense = new Uint32Array(DENSE);
  private readonly sparse = new Map<number, number>();
  private readonly sampleBelow: number;
  private records = 0;
  private counted = 0;
  private sum = 0;
  private max = 0;
  private over = 0;
  private atRisk = 0;

  constructor(
    private readonly countTokens: (text: string) => number,
    readonly maxLength: number,
    readonly sampleRate = 1,
  ) {
    this.sampleBelow = sampleRate >= 1 ? Number.POSITIVE_INFINITY : sampleRate * POSITION_RANGE;
  }

  /** Adds one record's training text; `position` is its split position (decides the sample). */
  add(text: string, position: number): void {
    this.records += 1;
    // text.length ≤ UTF-8 bytes ≤ 3·text.length: measure the bytes only when that decides it
    if (
      text.length > this.maxLength ||
      (text.length * 3 > this.maxLength && Buffer.byteLength(text, 'utf8') > this.maxLength)
    ) {
      this.atRisk += 1;
    }
    if (position >= this.sampleBelow) return;
    const length = this.countTokens(text);
    this.count(length);
    if (length > this.max) this.max = length;
    if (length > this.maxLength) this.over += 1;
  }

  private count(length: number): void {
    if (length < DENSE) this.dense[length] += 1;
    else this.sparse.set(length, (this.sparse.get(length) ?? 0) + 1);
    this.counted += 1;
    this.sum += length;
  }

  /** The smallest counted length with at least `rank` counted records at or below it (1 ≤ rank). */
  private atRank(rank: number): number {
    let seen = 0;
    for (let len = 0; len < DENSE; len++) {
      seen += this.dense[len];
      if (seen >= rank) return len;
    }
    for (const len of [...this.sparse.keys()].sort((a, b) => a - b)) {
      seen += this.sparse.get(len) ?? 0;
      if (seen >= rank) return len;
    }
    return 0;
  }

  summary(): TokenLengthSummary {
    const n = this.counted;
    const exact = n === this.records;
    const over =
      exact || n === 0 ? this.over : Math.min(this.atRisk, Math.round((this.over * this.records) / n));
    const base = {
      records: this.records,
      counted: n,
      exact,
      max: this.max,
      overMaxLength: over,
      overMaxLengthAtMost: this.atRisk,
      maxLength: this.maxLength,
    };
    if (n === 0) return { ...base, min: 0, median: 0, p95: 0, mean: 0 };
    return {
      ...base,
      min: this.atRank(1),
      median: this.atRank(Math.ceil(0.5 * n)),
      p95: this.atRank(Math.ceil(0.95 * n)),
      mean: Math.round((this.sum / n) * 100) / 100,
    };
  }
}
