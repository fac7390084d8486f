// Hugging Face model folders in and out: config.json + model.safetensors (or shards) + tokenizer files.
// Loading follows GPTNeoForCausalLM.from_pretrained's tolerance: lm_head.weight may be absent (tied to wte), old
// buffers attn.attention.bias / attn.attention.masked_bias are ignored, a base-model checkpoint without the
// "transformer." prefix is accepted. Saving matches save_pretrained: float32, no lm_head.weight, {"format":"pt"}.
// (docs/hf-semantics.md §4.3)
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@ftune/common';
import { FLOAT_DTYPES, type NamedTensor, WeightFolder, writeWeights } from '@ftune/safetensors';
import { type GPTNeoConfig, configFromHf, configToHf } from './config';
import { GPTNeoModel, type ParamSpec, parameterSpecs } from './model';

/** Files a Hugging Face tokenizer may consist of; copied beside saved weights. */
export const TOKENIZER_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'added_tokens.json',
  'chat_template.jinja',
];
/** transformers' folder of named chat templates (<name>.jinja), copied with the tokenizer files. */
const CHAT_TEMPLATES_DIR = 'additional_chat_templates';

const IGNORED = [/^transformer\.h\.\d+\.attn\.attention\.(bias|masked_bias)$/, /^transformer\.h\.\d+\.attn\.masked_bias$/];

/** Reads and checks config.json of a model folder. */
export function readHfConfig(dir: string) {
  return configFromHf(readJsonObject(dir, 'config.json', 'a Hugging Face model folder'));
}

/** A folder's JSON object file (config.json, adapter_config.json), refused with a UserError when absent or not an object. */
export function readJsonObject(dir: string, name: string, folderKind: string): Record<string, unknown> {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new UserError(`${dir}: no ${name} (is this ${folderKind}?)`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${file}: not a JSON object`);
  return json as Record<string, unknown>;
}

const sourceDirs = new WeakMap<GPTNeoModel, string>();

/** A folder's weights checked against a config before any is read: every parameter present with its shape and a
 *  float dtype, nothing foreign. Values are then read one tensor at a time (F16/BF16 widened as read), so loading
 *  never holds a second copy of the model beside the one it builds. */
function checkedWeights(dir: string, config: GPTNeoConfig): { valueOf: (spec: ParamSpec) => tf.Tensor; close: () => void } {
  const weights = WeightFolder.open(dir);
  try {
    const specs = parameterSpecs(config);
    const prefix = weights.has('transformer.wte.weight') || !weights.has('wte.weight') ? '' : 'transformer.';
    const fileName = (name: string) => (prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name);
    const expected = new Set(specs.map((s) => fileName(s.name)));
    const unknown = weights.names().filter((n) => !expected.has(n) && n !== 'lm_head.weight' && !IGNORED.some((re) => re.test(prefix + n)));
    if (unknown.length > 0) {
      throw new UserError(`${dir}: tensors that are not GPT-Neo parameters: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`);
    }
    const missing = specs.filter((s) => !weights.has(fileName(s.name))).map((s) => s.name);
    if (missing.length > 0) {
      throw new UserError(`${dir}: missing ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
    }
    const shapeError = (name: string, shape: number[], want: number[], hint = '') => new UserError(`${dir}: ${name} has shape [${shape}], expected [${want}]${hint}`);
    if (weights.has('lm_head.weight')) {
      const shape = weights.info('lm_head.weight').shape;
      if (shape.join() !== [config.vocabSize, config.hiddenSize].join()) throw shapeError('lm_head.weight', shape, [config.vocabSize, config.hiddenSize]);
    }
    for (const spec of specs) {
      const { shape, dtype } = weights.info(fileName(spec.name));
      if (!FLOAT_DTYPES.includes(dtype)) {
        throw new UserError(`${weights.pathOf(fileName(spec.name))}: ${fileName(spec.name)} is ${dtype}; model weights must be a float type (${FLOAT_DTYPES.join(', ')})`);
      }
      if (shape.join() !== spec.hfShape.join()) {
        const transposed = spec.kind === 'linear' && shape.join() === [...spec.hfShape].reverse().join();
        throw shapeError(fileName(spec.name), shape, spec.hfShape, transposed ? ' (transposed? nn.Linear weights are stored [out, in])' : '');
      }
    }
    const valueOf = (spec: ParamSpec): tf.Tensor => {
      const values = weights.readFloat32(fileName(spec.name));
      if (spec.kind !== 'linear') return tf.tensor(values, spec.hfShape);
      // Transposed by a kernel, [out, in] → [in, out]: on the native backend this also moves the values out of
      // JS memory now, so the file's copy can be collected while loading rather than after the first step.
      return tf.tidy(() => tf.transpose(tf.tensor(values, spec.hfShape)));
    };
    return { valueOf, close: () => weights.close() };
  } catch (e) {
    weights.close();
    throw e;
  }
}

/** Loads a GPT-Neo model from a Hugging Face folder (float32 in memory; F16/BF16 files are widened). */
export function loadModel(dir: string): GPTNeoModel {
  const config = readHfConfig(dir);
  const weights = checkedWeights(dir, config);
  try {
    const model = new GPTNeoModel(config, weights.valueOf);
    sourceDirs.set(model, dir);
    return model;
  } finally {
    weights.close();
  }
}

/** Replaces a live model's parameters by a folder's (e.g. resuming from a checkpoint); the architectures must match. */
export function loadWeightsInto(model: GPTNeoModel, dir: string): void {
  const config = readHfConfig(dir);
  const want = parameterSpecs(model.config).map((s) => `${s.name}[${s.hfShape}]`).join();
  if (parameterSpecs(config).map((s) => `${s.name}[${s.hfShape}]`).join() !== want) {
    throw new UserError(`${dir}: config.json describes a different architecture than the model's`);
  }
  const weights = checkedWeights(dir, model.config);
  try {
    for (const spec of parameterSpecs(model.config)) {
      tf.tidy(() => model.param(spec.name).assign(weights.valueOf(spec)));
    }
  } finally {
    weights.close();
  }
}

export interface SaveOptions {
  /** Copy tokenizer files from this folder (default: the folder the model was loaded from, if it has them). */
  tokenizerDir?: string;
  /** Writes tokenizer files into the folder instead (e.g. `(dir) => saveTokenizerFiles(tokenizer, dir)`). */
  writeTokenizer?: (dir: string) => void;
  /** Shard the weights above this many bytes (default 5 GB, as save_pretrained's max_shard_size). */
  maxShardBytes?: number;
}

/** Writes a folder that transformers' GPTNeoForCausalLM.from_pretrained loads; returns the files written. */
export function saveModel(model: GPTNeoModel, dir: string, options: SaveOptions = {}): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const c = model.config;
  const written = ['config.json', 'generation_config.json'];
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(configToHf(c), null, 2)}\n`);
  const generation = { _from_model_config: true, bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId, transformers_version: '4.53.2' };
  fs.writeFileSync(path.join(dir, 'generation_config.json'), `${JSON.stringify(generation, null, 2)}\n`);
  const tensors: NamedTensor[] = parameterSpecs(c).map((spec) => ({
    name: spec.name,
    shape: spec.hfShape,
    dtype: 'F32',
    data: () => {
      const variable = model.param(spec.name);
      if (spec.kind !== 'linear') return variable.dataSync() as Float32Array;
      const transposed = tf.transpose(variable); // [in, out] → [out, in]
      const values = transposed.dataSync() as Float32Array;
      transposed.dispose();
      return values;
    },
  }));
  written.push(...writeWeights(dir, tensors, options.maxShardBytes));
  if (options.writeTokenizer) {
    options.writeTokenizer(dir);
  } else {
    const from = options.tokenizerDir ?? sourceDirs.get(model);
    if (from && path.resolve(from) !== path.resolve(dir)) {
      for (const file of TOKENIZER_FILES) {
        if (fs.existsSync(path.join(from, file))) {
          fs.copyFileSync(path.join(from, file), path.join(dir, file));
          written.push(file);
        }
      }
      if (fs.existsSync(path.join(from, CHAT_TEMPLATES_DIR))) {
        fs.cpSync(path.join(from, CHAT_TEMPLATES_DIR), path.join(dir, CHAT_TEMPLATES_DIR), { recursive: true });
        written.push(CHAT_TEMPLATES_DIR);
      }
    }
  }
  return written;
}
