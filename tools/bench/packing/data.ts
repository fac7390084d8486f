// The packing benchmarks' data and flags: a long-tailed set of random token ids (lengths log-normal,
// median 96, σ 0.9, clipped to 16..1024), the same for a seed in every tool that reads it.
import type { Example } from '@ftune/collator';
import { SeededRandom } from '@ftune/common';

export const MAX_LENGTH = 1024;

/** `--name value` from the command line, else `fallback`; refused when not one of `allowed` (if given). */
export function flag(name: string, fallback: string, allowed?: readonly string[]): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
  if (allowed && !allowed.includes(value)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${value}`);
  return value;
}

/**
 * `n` examples of random ids with log-normal lengths (Box-Muller); loss 'completion' labels only the
 * second half of each (the first half a prompt), 'all' every token.
 */
export function benchExamples(n: number, seed: number, loss: 'all' | 'completion'): { examples: Example[]; sizes: number[] } {
  const random = new SeededRandom(seed);
  const sizes = Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    return Math.min(MAX_LENGTH, Math.max(16, Math.round(Math.exp(Math.log(96) + 0.9 * z))));
  });
  const examples: Example[] = sizes.map((length, i) => ({
    inputIds: Array.from({ length }, () => 1 + Math.floor(random.next() * 50000)),
    name: `example ${i + 1}`,
    ...(loss === 'completion' && { trainMask: Array.from({ length }, (_, t) => (t < length >> 1 ? 0 : 1)) }),
  }));
  return { examples, sizes };
}
