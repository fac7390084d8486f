// LoRA adapter folders as PEFT 0.17 writes and reads them: adapter_config.json (LoraConfig fields) and
// adapter_model.safetensors with keys base_model.model.<module>.lora_A.weight (r, in) / lora_B.weight (out, r),
// float32. Read: the config's target_modules (a list, a regular expression, or "all-linear"), layers_to_transform
// use_rslora and bias "all" (every base bias saved beside the adapters) or "lora_only" (the targeted layers' biases;
// peft 0.17.1 trains them but leaves them out of its files, ftune saves them) are honoured; what ftune does not compute
// (DoRA, modules_to_save, per-module ranks, fan_in_fan_out) is refused naming the field. docs/hf-semantics.md §4.6.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@ftune/common';
import { type NamedTensor, SafetensorsReader, writeSafetensorsFile } from '@ftune/safetensors';
import type { GPTNeoConfig } from './config';
import { readJsonObject } from './io';
import { LORA_TARGETS, LoraAdapters, type LoraConfig, isTrainableBias, linearModules, peftBiasKey, peftKey, selectModules, validateLoraConfig } from './lora';
import { type GPTNeoModel, parameterSpecs } from './model';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** True when `dir` holds a PEFT adapter (adapter_config.json). */
export function isAdapterFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, ADAPTER_CONFIG_FILE));
}

export interface AdapterFolderConfig {
  lora: LoraConfig;
  /** base_model_name_or_path: the folder (or hub name) of the model the adapter was trained on. */
  baseModel: string | null;
}

const MAX_PATTERN_LENGTH = 1000;

/** Reads and checks adapter_config.json; `modelConfig` resolves a regular-expression target_modules. */
export function readAdapterConfig(dir: string, modelConfig?: GPTNeoConfig): AdapterFolderConfig {
  const file = path.join(dir, ADAPTER_CONFIG_FILE);
  const j = readJsonObject(dir, ADAPTER_CONFIG_FILE, 'a PEFT adapter folder');
  const bad = (field: string, why: string) => new UserError(`${file}: ${field} ${why}`);
  if (j.peft_type !== 'LORA') throw bad('peft_type', `must be "LORA", got ${JSON.stringify(j.peft_type)}`);
  const unsupported: Array<[string, (v: unknown) => boolean]> = [
    ['use_dora', (v) => v === true],
    ['bias', (v) => v !== undefined && v !== 'none' && v !== 'all' && v !== 'lora_only'],
    ['lora_bias', (v) => v === true],
    ['fan_in_fan_out', (v) => v === true],
    ['modules_to_save', (v) => Array.isArray(v) && v.length > 0],
    ['rank_pattern', (v) => typeof v === 'object' && v !== null && Object.keys(v).length > 0],
    ['alpha_pattern', (v) => typeof v === 'object' && v !== null && Object.keys(v).length > 0],
    ['layer_replication', (v) => v !== undefined && v !== null],
    ['trainable_token_indices', (v) => v !== undefined && v !== null],
  ];
  for (const [field, refused] of unsupported) {
    if (refused(j[field])) throw bad(field, `= ${JSON.stringify(j[field])} is not supported by ftune (plain LoRA only)`);
  }
  const r = j.r ?? 8;
  const alpha = j.lora_alpha ?? 8;
  const dropout = j.lora_dropout ?? 0;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw bad('r', `must be an integer ≥ 1, got ${JSON.stringify(r)}`);
  if (typeof alpha !== 'number' || !(alpha > 0)) throw bad('lora_alpha', `must be a number > 0, got ${JSON.stringify(alpha)}`);
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw bad('lora_dropout', `must be in [0, 1), got ${JSON.stringify(dropout)}`);
  const targets = targetList(j.target_modules, modelConfig, file);
  let layers: number[] | undefined;
  if (typeof j.layers_to_transform === 'number') layers = [j.layers_to_transform];
  else if (Array.isArray(j.layers_to_transform)) layers = j.layers_to_transform as number[];
  else if (j.layers_to_transform !== undefined && j.layers_to_transform !== null) throw bad('layers_to_transform', 'must be an integer or a list of integers');
  if (layers?.some((l) => !Number.isInteger(l))) throw bad('layers_to_transform', 'must be an integer or a list of integers');
  const base = j.base_model_name_or_path;
  return {
    lora: {
      r,
      alpha,
      dropout,
      targets,
      ...(layers && { layers }),
      ...(j.use_rslora === true && { rslora: true }),
      ...((j.bias === 'all' || j.bias === 'lora_only') && { bias: j.bias }),
    },
    baseModel: typeof base === 'string' && base.length > 0 ? base : null,
  };
}

/** target_modules as a list of module names (PEFT: a list matched by suffix, a full-match regex, or all-linear). */
function targetList(value: unknown, modelConfig: GPTNeoConfig | undefined, file: string): string[] {
  if (Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === 'string' && t.length > 0)) return value as string[];
  if (value === 'all-linear') return [...LORA_TARGETS];
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_PATTERN_LENGTH && modelConfig) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${value})$`);
    } catch (e) {
      throw new UserError(`${file}: target_modules is not a regular expression ftune can read (${(e as Error).message})`);
    }
    return linearModules(modelConfig).map((m) => m.path).filter((p) => re.test(p));
  }
  throw new UserError(`${file}: target_modules must be a non-empty list of module names, a regular expression or "all-linear"`);
}

/** The base folder an adapter names, resolved: absolute as written, or relative to the adapter folder when it exists there. */
export function adapterBase(dir: string, baseModel: string | null): string | null {
  if (baseModel === null) return null;
  if (path.isAbsolute(baseModel)) return baseModel;
  const beside = path.resolve(dir, baseModel);
  return fs.existsSync(beside) ? beside : baseModel;
}

/** With bias 'all' or 'lora_only', the base biases saved beside the adapters: HF name → PEFT file key (peftBiasKey). */
function biasKeys(modelConfig: GPTNeoConfig, lora: LoraConfig): Map<string, string> {
  const targeted = new Set(selectModules(modelConfig, lora).map((m) => m.path));
  const names = parameterSpecs(modelConfig).map((s) => s.name).filter((n) => isTrainableBias(n, lora, targeted));
  return new Map(names.map((n) => [n, peftBiasKey(n, targeted)]));
}

/**
 * A folder's adapter matrices in internal layout (A (in, r), B (r, out)) by PEFT key, checked against the modules its
 * config selects on a model of `modelConfig`: each one's A and B present with rank r's shapes, with bias 'all' every
 * base bias too, with 'lora_only' the targeted layers' biases or none of them (as peft 0.17.1 saves it), nothing else.
 */
function readAdapterTensors(modelConfig: GPTNeoConfig, dir: string): { lora: LoraConfig; tensors: Map<string, tf.Tensor> } {
  const { lora } = readAdapterConfig(dir, modelConfig);
  validateLoraConfig(lora, modelConfig.numLayers);
  const file = path.join(dir, ADAPTER_WEIGHTS_FILE);
  if (!fs.existsSync(file)) throw new UserError(`${dir}: no ${ADAPTER_WEIGHTS_FILE}`);
  const reader = SafetensorsReader.open(file);
  const tensors = new Map<string, tf.Tensor>();
  try {
    const names = new Set(reader.names());
    for (const m of selectModules(modelConfig, lora)) {
      for (const [which, shape] of [['A', [lora.r, m.inFeatures]], ['B', [m.outFeatures, lora.r]]] as const) {
        const key = peftKey(m.path, which);
        if (!names.has(key)) throw new UserError(`${file}: missing ${key}`);
        const got = reader.info(key).shape;
        if (got.join() !== shape.join()) throw new UserError(`${file}: ${key} has shape [${got}], expected [${shape}] (r = ${lora.r})`);
        names.delete(key);
        tensors.set(key, tf.tidy(() => tf.transpose(tf.tensor(reader.readFloat32(key), [...shape])))); // [out, in] → [in, out]
      }
    }
    const shapes = new Map(parameterSpecs(modelConfig).map((s) => [s.name, s.hfShape]));
    const biases = biasKeys(modelConfig, lora);
    // peft 0.17.1 trains the targeted layers' biases with bias "lora_only" but does not save them (it looks them up
    // without base_layer): a folder it wrote has none, and the base's stay
    const peftLoraOnly = lora.bias === 'lora_only' && ![...biases.values()].some((key) => names.has(key));
    for (const [name, key] of peftLoraOnly ? [] : biases) {
      if (!names.has(key)) throw new UserError(`${file}: missing ${key} (bias "${lora.bias}" saves the biases it trains)`);
      const want = shapes.get(name) as number[];
      const got = reader.info(key).shape;
      if (got.join() !== want.join()) throw new UserError(`${file}: ${key} has shape [${got}], expected [${want}]`);
      names.delete(key);
      tensors.set(key, tf.tensor(reader.readFloat32(key), want));
    }
    if (names.size > 0) {
      const foreign = [...names];
      throw new UserError(`${file}: tensors that are not adapters of the configured modules: ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}`);
    }
    return { lora, tensors };
  } catch (e) {
    tensors.forEach((t) => t.dispose());
    throw e;
  } finally {
    reader.close();
  }
}

/** Loads a PEFT adapter folder onto `model` (frozen base, adapters attached). */
export function loadAdapter(model: GPTNeoModel, dir: string): void {
  const { lora, tensors } = readAdapterTensors(model.config, dir);
  try {
    const adapters = new LoraAdapters(model.config, lora, model.variablePrefix, (m, which) => {
      const t = tensors.get(peftKey(m.path, which)) as tf.Tensor;
      tensors.delete(peftKey(m.path, which)); // ownership passes to the adapters
      return t;
    });
    model.attachLora(adapters);
    for (const [name, key] of biasKeys(model.config, lora)) {
      const bias = tensors.get(key);
      if (bias) model.param(name).assign(bias);
    }
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}

/** Replaces the attached adapters' values by a folder's (resuming); the folder must hold the same adapters. */
export function loadAdapterWeightsInto(model: GPTNeoModel, dir: string): void {
  const live = model.adapters;
  if (!live) throw new Error('the model carries no adapters to load into');
  const { tensors } = readAdapterTensors(model.config, dir);
  try {
    const biases = biasKeys(model.config, live.config);
    const keys = [...live.layers.flatMap((l) => [peftKey(l.module.path, 'A'), peftKey(l.module.path, 'B')]), ...biases.values()];
    const variables = [...live.variables, ...[...biases.keys()].map((n) => model.param(n))]; // the keys' order
    if (keys.length !== tensors.size || keys.some((k, i) => tensors.get(k)?.shape.join() !== variables[i].shape.join())) {
      throw new UserError(`${dir}: its adapters differ from the model's (modules or rank)`);
    }
    keys.forEach((k, i) => variables[i].assign(tensors.get(k) as tf.Tensor));
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}

export interface SaveAdapterOptions {
  /** base_model_name_or_path: the base folder, resolved to an absolute path (PEFT keeps what it was given). */
  baseModel: string;
  /** Writes tokenizer files into the folder too. */
  writeTokenizer?: (dir: string) => void;
}

/** Writes the attached adapters as PEFT's save_pretrained does; returns the files written. */
export function saveAdapter(model: GPTNeoModel, dir: string, options: SaveAdapterOptions): string[] {
  const lora = model.adapters;
  if (!lora) throw new Error('the model carries no adapters to save');
  fs.mkdirSync(dir, { recursive: true });
  const c = lora.config;
  const config = {
    alpha_pattern: {},
    base_model_name_or_path: path.isAbsolute(options.baseModel) || !fs.existsSync(options.baseModel) ? options.baseModel : path.resolve(options.baseModel),
    bias: c.bias ?? 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: c.layers ? [...c.layers] : null,
    lora_alpha: c.alpha,
    lora_bias: false,
    lora_dropout: c.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...c.targets],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: c.rslora ?? false,
  };
  fs.writeFileSync(path.join(dir, ADAPTER_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  const tensors: NamedTensor[] = lora.layers.flatMap(({ module, a, b }) =>
    ([['A', a], ['B', b]] as const).map(([which, v]): NamedTensor => ({
      name: peftKey(module.path, which),
      shape: [...v.shape].reverse(),
      dtype: 'F32',
      data: () => tf.tidy(() => tf.transpose(v).dataSync() as Float32Array), // [in, out] → PEFT's [out, in]
    })),
  );
  for (const [name, key] of biasKeys(model.config, c)) {
    const v = model.param(name);
    tensors.push({ name: key, shape: [...v.shape], dtype: 'F32', data: () => v.dataSync() as Float32Array });
  }
  writeSafetensorsFile(path.join(dir, ADAPTER_WEIGHTS_FILE), tensors);
  options.writeTokenizer?.(dir);
  return [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE];
}
