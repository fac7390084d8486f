// Deterministic pseudo-random numbers for initialisation and sampling, independent of the tfjs backend.
// Generator: @ftune/common's SeededRandom (mulberry32) for uniforms in [0, 1); normals by the Box–Muller transform.
// Each parameter tensor gets its own stream seeded from (seed, parameter name) by FNV-1a, so a tensor's initial
// values do not depend on the order in which tensors are created. Not cryptographic; not bit-equal to PyTorch.
import { SeededRandom } from '@ftune/common';

/** The shared seeded uniform generator, with normal samples for initialisation. */
export class Rng extends SeededRandom {
  /** Fills `out` with N(mean, std²) samples (Box–Muller, both outputs of each pair used). */
  fillNormal(out: Float32Array, mean: number, std: number): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      const u1 = 1 - this.next(); // (0, 1]: log is finite
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1)) * std;
      out[i] = mean + r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }
}

/** FNV-1a hash of a string mixed with a seed: the seed of one named stream. */
export function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
