// The set of records seen so far, as hashes only: an open-addressing table (linear probing) over one
// Uint32Array, 12 bytes a slot: 56 bits of the normalized hash (two records count as the same when
// these match: a false match is about n²/2^57 likely, 1.6·10⁻⁵ for 1.5 million records), 8 bits of
// the exact hash (tells "exact" from "after normalization" in the duplicate's message; 1 in 256 of
// normalization-only repeats is worded as exact), and the first line. Grows by 1.5× at 75 % load, or
// once to a reserved size; about 16–24 bytes per distinct record, no text kept.

export interface FirstSeen {
  /** Line of the first record with the same normalized content. */
  line: number;
  /** True when the exact content matches too (same 8 exact-hash bits). */
  exact: boolean;
}

const SLOT = 3;

export class SeenTable {
  private slots: Uint32Array;
  private capacity: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    this.capacity = initialCapacity;
    this.slots = new Uint32Array(initialCapacity * SLOT);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Records (normHi, normLo) first seen on `line`, or returns where it was first seen. Lines start at 1. */
  addOrFind(normHi: number, normLo: number, exact32: number, line: number): FirstSeen | undefined {
    const s = this.slots;
    const key = normLo >>> 8;
    const exact = exact32 & 0xff;
    let i = this.home(normHi);
    for (;;) {
      const at = i * SLOT;
      const seenLine = s[at + 2];
      if (seenLine === 0) break;
      if (s[at] === normHi >>> 0 && s[at + 1] >>> 8 === key)
        return { line: seenLine, exact: (s[at + 1] & 0xff) === exact };
      i = i + 1 === this.capacity ? 0 : i + 1;
    }
    const at = i * SLOT;
    s[at] = normHi;
    s[at + 1] = (key << 8) | exact;
    s[at + 2] = line;
    this.count += 1;
    if (this.count * 4 > this.capacity * 3) this.grow();
    return undefined;
  }

  /** Makes room for `records` entries in one step (avoids the transient copies of repeated growth). */
  reserve(records: number): void {
    const capacity = Math.ceil((records * 4) / 3) + 1;
    if (capacity > this.capacity) this.rehash(capacity);
  }

  private home(hi: number): number {
    return Math.floor(((hi >>> 0) / 4294967296) * this.capacity);
  }

  private grow(): void {
    this.rehash(Math.ceil(this.capacity * 1.5));
  }

  private rehash(capacity: number): void {
    const old = this.slots;
    this.capacity = capacity;
    this.slots = new Uint32Array(this.capacity * SLOT);
    for (let at = 0; at < old.length; at += SLOT) {
      if (old[at + 2] === 0) continue;
      let i = this.home(old[at]);
      while (this.slots[i * SLOT + 2] !== 0) i = i + 1 === this.capacity ? 0 : i + 1;
      const to = i * SLOT;
      this.slots[to] = old[at];
      this.slots[to + 1] = old[at + 1];
      this.slots[to + 2] = old[at + 2];
    }
  }
}
