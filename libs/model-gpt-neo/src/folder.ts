// A Hugging Face model folder opened as every ftune job reads one: the GPT-Neo weights with the folder's
// own tokenizer files when it has them, else the built-in GPT-2 tokenizer (GPT-Neo's vocabulary). A PEFT adapter
// folder opens as its base model (adapter_config.json's base_model_name_or_path) with the adapter attached.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '@ftune/common';
import { loadTokenizer, type Tokenizer } from '@ftune/tokenizer';
import { adapterBase, isAdapterFolder, loadAdapter, readAdapterConfig } from './adapter-io';
import { loadModel, saveModel } from './io';
import type { GPTNeoModel } from './model';

/** Files whose presence means a folder carries its own tokenizer. */
const OWN_TOKENIZER_MARKERS = ['tokenizer.json', 'vocab.json'];

/** True when `dir` is a Hugging Face model folder (it has a config.json). */
export function isModelFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'config.json'));
}

/**
 * The folder to load `model`'s tokenizer from: `model` itself when it is a model folder with tokenizer
 * files, else null (a preset name, or a folder without them: the built-in GPT-2 tokenizer).
 */
export function ownTokenizerDir(model: string): string | null {
  if (!isModelFolder(model) && !isAdapterFolder(model)) return null;
  return OWN_TOKENIZER_MARKERS.some((f) => fs.existsSync(path.join(model, f))) ? model : null;
}

export interface OpenedModelFolder {
  model: GPTNeoModel;
  tokenizer: Tokenizer;
  /** True when the tokenizer came from the folder's own files. */
  ownTokenizer: boolean;
}

/** Where a folder's weights come from: the base model folder and the adapter folder on it, if any. */
export function modelSources(dir: string, adapter?: string): { base: string; adapter: string | null } {
  if (adapter !== undefined && !isAdapterFolder(adapter)) throw new UserError(`${adapter}: not an adapter folder (no adapter_config.json)`);
  if (isModelFolder(dir)) return { base: dir, adapter: adapter ?? null };
  if (!isAdapterFolder(dir)) throw new UserError(`${dir}: not a model folder (no config.json) nor an adapter folder (no adapter_config.json)`);
  if (adapter !== undefined) throw new UserError(`${dir} is itself an adapter folder; give the base model with it, not a second adapter`);
  const base = adapterBase(dir, readAdapterConfig(dir).baseModel);
  if (base === null || !isModelFolder(base)) {
    throw new UserError(`${dir}: adapter_config.json's base_model_name_or_path (${JSON.stringify(base)}) is not a model folder here; give the base with --model and this folder with --adapter`);
  }
  return { base, adapter: dir };
}

/** Loads a model folder, or an adapter folder's base with its adapter, or a base with `adapter` attached. */
export function loadModelFolder(dir: string, adapter?: string): GPTNeoModel {
  const sources = modelSources(dir, adapter);
  const model = loadModel(sources.base);
  if (sources.adapter === null) return model;
  try {
    loadAdapter(model, sources.adapter);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * Loads a model folder (or base + adapter, as loadModelFolder) and the tokenizer to read it with: `tokenizer` when
 * given (a folder or 'gpt2'), else the adapter folder's own, else the base folder's own, else GPT-2's.
 */
export function openModelFolder(dir: string, options: { tokenizer?: string; adapter?: string } = {}): OpenedModelFolder {
  const sources = modelSources(dir, options.adapter);
  const own = options.tokenizer === undefined ? ((sources.adapter && ownTokenizerDir(sources.adapter)) ?? ownTokenizerDir(sources.base)) : null;
  const tokenizer = loadTokenizer(options.tokenizer ?? own ?? 'gpt2');
  const model = loadModelFolder(dir, options.adapter);
  return { model, tokenizer, ownTokenizer: own !== null };
}

/**
 * Folds an adapter into its base and writes a plain Hugging Face folder (peft's merge_and_unload, then
 * save_pretrained), with the adapter folder's tokenizer files, else the base's. `base` defaults to the model the
 * adapter names. Returns the files written.
 */
export function mergeAdapterFolder(options: { base?: string; adapter: string; out: string }): string[] {
  const { adapter, out } = options;
  const sources = options.base === undefined ? modelSources(adapter) : modelSources(options.base, adapter);
  for (const dir of [sources.base, adapter]) {
    if (path.resolve(dir) === path.resolve(out)) throw new UserError(`--out ${out} is the ${dir === adapter ? 'adapter' : 'base model'} folder; write the merged model elsewhere`);
  }
  const model = loadModelFolder(sources.base, adapter);
  try {
    model.mergeLora();
    return saveModel(model, out, { tokenizerDir: ownTokenizerDir(adapter) ?? sources.base });
  } finally {
    model.dispose();
  }
}
