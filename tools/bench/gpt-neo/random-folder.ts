// A Hugging Face folder of a preset's random init (seed 0: the values createModel gives), written tensor by tensor
// in 1 GB shards with model.safetensors.index.json, so a 1.3B or 2.7B folder is made without the model in memory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configToHf, gptNeoConfig, initialValues, parameterSpecs } from '@ftune/model-gpt-neo';
import { type NamedTensor, writeWeights } from '@ftune/safetensors';

export const SHARD_BYTES = 1_000_000_000;

export function writeRandomFolder(preset: string, dir: string, seed = 0): string[] {
  const config = gptNeoConfig(preset);
  fs.mkdirSync(dir, { recursive: true });
  const tensors = parameterSpecs(config).map((spec): NamedTensor => ({
    name: spec.name,
    shape: spec.hfShape,
    dtype: 'F32',
    data: () => initialValues(spec, config, seed),
  }));
  const files = writeWeights(dir, tensors, SHARD_BYTES);
  // config.json last: its presence marks the folder complete
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(configToHf(config), null, 2)}\n`);
  return [...files, 'config.json'];
}
