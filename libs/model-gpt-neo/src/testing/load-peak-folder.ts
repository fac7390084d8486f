// The folder load-memory.spec.ts loads: a float32 GPT-Neo of ~310 MB in 100 MB shards, its values from a formula
// (so no model is in memory while it is written, and the spec can check what was loaded).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type NamedTensor, writeWeights } from '@ftune/safetensors';
import { configToHf, gptNeoConfig } from '../config';
import { parameterSpecs } from '../model';

/** C 768, 10 layers, vocabulary 8192: 10 × 7.09M + 6.29M wte + 0.2M wpe ≈ 77.4M parameters, 310 MB in float32. */
export const CONFIG = gptNeoConfig('gpt-neo-125m', { vocabSize: 8192, numLayers: 10, maxPositionEmbeddings: 256 });
export const SHARD_BYTES = 100_000_000;

/** The value written at flat index i of the k-th parameter (exact in float32). */
export const valueAt = (k: number, i: number): number => ((i % 251) - 125 + k) / 1024;

export function writePeakFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(configToHf(CONFIG)));
  const tensors = parameterSpecs(CONFIG).map((spec, k): NamedTensor => ({
    name: spec.name,
    shape: spec.hfShape,
    dtype: 'F32',
    data: () => Float32Array.from({ length: spec.hfShape.reduce((a, b) => a * b, 1) }, (_, i) => valueAt(k, i)),
  }));
  writeWeights(dir, tensors, SHARD_BYTES);
}
