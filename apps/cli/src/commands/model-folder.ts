// Shared by `ftune score` and `ftune generate`: a GPT-Neo folder and its tokenizer, on the chosen backend.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GPTNeoModel } from '@ftune/model-gpt-neo';
import type { Tokenizer } from '@ftune/tokenizer';
import { lib } from './libs';

/** The tokenizer flag's default: the model folder when it holds tokenizer files, else the built-in gpt2. */
export function tokenizerSource(modelDir: string, flag?: string): string {
  if (flag) return flag;
  const has = ['tokenizer.json', 'vocab.json'].some((f) => fs.existsSync(path.join(modelDir, f)));
  return has ? modelDir : 'gpt2';
}

export async function openModelFolder(modelDir: string, tokenizerFlag?: string): Promise<{ model: GPTNeoModel; tokenizer: Tokenizer }> {
  await lib.compute().initBackend();
  const tokenizer = lib.tokenizer().loadTokenizer(tokenizerSource(modelDir, tokenizerFlag));
  const model = lib.modelGptNeo().loadModel(modelDir);
  return { model, tokenizer };
}
