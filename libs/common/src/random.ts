// Seeded pseudo-random numbers shared by the stages: initialisation, sampling, shuffles, bootstrap resampling.
// mulberry32 (one 32-bit state word, period 2^32): small, fast and the same on every platform; not for
// cryptography, not PyTorch's generator. Sequences are part of fixtures and specs: keep them bit-identical.

/** A deterministic generator of floats in [0, 1) from a 32-bit seed (mulberry32). */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next float in [0, 1), with 32 bits of resolution. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A new array with the items in a seeded random order (Fisher–Yates, from the last item down). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
