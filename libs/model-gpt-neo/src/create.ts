// Fresh models from a preset name or a config, with Hugging Face-style random initialisation from a seed.
import { type GPTNeoConfig, gptNeoConfig, validateConfig } from './config';
import { type GPTNeoModel, randomModel } from './model';

/** A randomly initialised model: `createModel('tiny', 42)` or `createModel(config, seed)`. */
export function createModel(presetOrConfig: string | GPTNeoConfig, seed: number): GPTNeoModel {
  const config = typeof presetOrConfig === 'string' ? gptNeoConfig(presetOrConfig) : presetOrConfig;
  validateConfig(config);
  return randomModel(config, seed);
}
