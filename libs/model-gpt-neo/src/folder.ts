// A Hugging Face model folder opened as every ftune job reads one: the GPT-Neo weights with the folder's
// own tokenizer files when it has them, else the built-in GPT-2 tokenizer (GPT-Neo's vocabulary).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '@ftune/common';
import { loadTokenizer, type Tokenizer } from '@ftune/tokenizer';
import { loadModel } from './io';
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
  if (!isModelFolder(model)) return null;
  return OWN_TOKENIZER_MARKERS.some((f) => fs.existsSync(path.join(model, f))) ? model : null;
}

export interface OpenedModelFolder {
  model: GPTNeoModel;
  tokenizer: Tokenizer;
  /** True when the tokenizer came from the folder's own files. */
  ownTokenizer: boolean;
}

/**
 * Loads a model folder and the tokenizer to read it with: `tokenizer` when given (a folder or 'gpt2'),
 * else the folder's own, else GPT-2's. A folder without config.json is refused with a UserError.
 */
export function openModelFolder(dir: string, options: { tokenizer?: string } = {}): OpenedModelFolder {
  if (!isModelFolder(dir)) throw new UserError(`${dir}: not a model folder (no config.json)`);
  const own = options.tokenizer === undefined ? ownTokenizerDir(dir) : null;
  const tokenizer = loadTokenizer(options.tokenizer ?? own ?? 'gpt2');
  const model = loadModel(dir);
  return { model, tokenizer, ownTokenizer: own !== null };
}
