// Bounded word cache: piece text → token ids. Cleared when full (a cheap, predictable policy;
// the common words come back within a few lines).

export class WordCache {
  private map = new Map<string, number[]>();

  constructor(
    readonly capacity = 200_000,
    /** Words longer than this (UTF-16 units) are not cached. */
    readonly maxWordLength = 256,
  ) {}

  get(word: string): number[] | undefined {
    return this.map.get(word);
  }

  set(word: string, ids: number[]): void {
    if (word.length > this.maxWordLength) return;
    if (this.map.size >= this.capacity) this.map = new Map();
    this.map.set(word, ids);
  }

  clear(): void {
    this.map = new Map();
  }

  get size(): number {
    return this.map.size;
  }
}
