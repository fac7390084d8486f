// The tokenizer's piece cache: piece text → the BPE model's token ids, looked up without allocating.

/**
 * Piece cache keyed by a range of a larger string, so a hit allocates nothing: an open-addressing
 * table of (hash, key, ids), probed with a hash of text[start, end) and confirmed by comparing
 * characters. Emptied when half full.
 */
export class PieceCache {
  private readonly mask: number;
  private hashes: Int32Array;
  private keys: Array<string | undefined>;
  private values: Array<number[] | undefined>;
  private count = 0;

  constructor(
    slots = 1 << 18,
    /** Pieces longer than this (UTF-16 units) are not cached. */
    readonly maxLength = 128,
  ) {
    this.mask = slots - 1;
    this.hashes = new Int32Array(slots);
    this.keys = new Array<string | undefined>(slots);
    this.values = new Array<number[] | undefined>(slots);
  }

  /** FNV-1a over the UTF-16 units of text[start, end). */
  static hash(text: string, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h;
  }

  get(text: string, start: number, end: number, hash: number): number[] | undefined {
    const len = end - start;
    let slot = hash & this.mask;
    for (;;) {
      const key = this.keys[slot];
      if (key === undefined) return undefined;
      if (this.hashes[slot] === hash && key.length === len && sameRange(key, text, start))
        return this.values[slot];
      slot = (slot + 1) & this.mask;
    }
  }

  set(key: string, hash: number, ids: number[]): void {
    if (this.count * 2 >= this.mask) {
      this.hashes.fill(0);
      this.keys.fill(undefined);
      this.values.fill(undefined);
      this.count = 0;
    }
    let slot = hash & this.mask;
    while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
    this.hashes[slot] = hash;
    this.keys[slot] = key;
    this.values[slot] = ids;
    this.count++;
  }
}

function sameRange(key: string, text: string, start: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}
