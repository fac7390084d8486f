// Building tokenizer configs (pure data) from Hugging Face files already read into memory, and
// writing them back. Mirrors what transformers does for GPT2TokenizerFast: from tokenizer.json as is,
// or from vocab.json + merges.txt through its GPT2Converter (ByteLevel pre-tokenizer, decoder and
// post-processor with trim_offsets false), special tokens registered as added tokens.
import type { AddedTokenConfig } from './added-vocabulary';
import { HfTokenizer } from './tokenizer';
import {
  VERY_LARGE_LENGTH,
  type Tokenizer,
  type TokenizerConfig,
  type TokenizerJson,
  type TokenizerSettings,
} from './types';

/** A special token in tokenizer_config.json: a string or a serialized AddedToken. */
type TokenField = string | { content: string } | null | undefined;

/** The fields of tokenizer_config.json / special_tokens_map.json that ftune reads. */
export interface TransformersTokenizerFiles {
  tokenizerConfig?: Record<string, unknown>;
  specialTokensMap?: Record<string, unknown>;
}

function tokenText(field: unknown): string | null {
  const f = field as TokenField;
  if (typeof f === 'string') return f;
  if (f && typeof f === 'object' && typeof f.content === 'string') return f.content;
  return null;
}

function side(value: unknown, name: string): 'left' | 'right' {
  if (value === undefined || value === null) return 'right';
  if (value === 'left' || value === 'right') return value;
  throw new Error(`${name} must be "left" or "right", got ${JSON.stringify(value)}`);
}

/**
 * transformers-level settings from tokenizer_config.json and special_tokens_map.json, with
 * GPT2TokenizerFast's defaults (bos/eos/unk `<|endoftext|>`, no pad token, no prefix space).
 * clean_up_tokenization_spaces defaults to false, as in transformers 4.53.
 */
export function settingsFromFiles(
  files: TransformersTokenizerFiles,
  defaultMaxLength = VERY_LARGE_LENGTH,
): TokenizerSettings {
  const config = files.tokenizerConfig ?? {};
  const map = files.specialTokensMap ?? {};
  const pick = (key: string, fallback: string | null): string | null =>
    key in map ? tokenText(map[key]) : key in config ? tokenText(config[key]) : fallback;
  const maxLength = config.model_max_length;
  return {
    modelMaxLength:
      typeof maxLength === 'number' && maxLength < VERY_LARGE_LENGTH ? maxLength : defaultMaxLength,
    paddingSide: side(config.padding_side, 'padding_side'),
    truncationSide: side(config.truncation_side, 'truncation_side'),
    cleanUpTokenizationSpaces: config.clean_up_tokenization_spaces === true,
    bosToken: pick('bos_token', '<|endoftext|>'),
    eosToken: pick('eos_token', '<|endoftext|>'),
    unkToken: pick('unk_token', '<|endoftext|>'),
    padToken: pick('pad_token', null),
    addPrefixSpace: config.add_prefix_space === true,
  };
}

/** Added tokens listed in tokenizer_config.json's `added_tokens_decoder`. */
function addedTokensDecoder(config: Record<string, unknown> | undefined): AddedTokenConfig[] {
  const table = (config?.added_tokens_decoder ?? {}) as Record<string, Omit<AddedTokenConfig, 'id'>>;
  return Object.entries(table).map(([id, t]) => ({ ...t, id: Number(id) }));
}

/** Registers the settings' special tokens and the config's added tokens that tokenizer.json lacks. */
function withSpecialTokens(
  json: TokenizerJson,
  settings: TokenizerSettings,
  files: TransformersTokenizerFiles,
  lookup: VocabLookup,
): TokenizerJson {
  const added = [...json.added_tokens];
  const has = (content: string): boolean => added.some((t) => t.content === content);
  let nextId = -1;
  const freshId = (): number => {
    if (nextId < 0) {
      nextId = 0;
      for (const id of Object.values(json.model.vocab)) nextId = Math.max(nextId, id + 1);
      for (const t of added) nextId = Math.max(nextId, t.id + 1);
    }
    return nextId++;
  };
  for (const t of addedTokensDecoder(files.tokenizerConfig)) if (!has(t.content)) added.push(t);
  for (const content of [settings.bosToken, settings.eosToken, settings.unkToken, settings.padToken]) {
    if (content === null || has(content)) continue;
    const id = lookup(content) ?? freshId();
    added.push({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    });
  }
  // a copy that keeps property getters (a lazily read model stays lazy)
  return Object.defineProperties(
    {},
    {
      ...Object.getOwnPropertyDescriptors(json),
      added_tokens: { value: added, enumerable: true, writable: true },
    },
  ) as TokenizerJson;
}

/** Id of a token in the model's vocabulary. */
export type VocabLookup = (token: string) => number | undefined;

function vocabLookup(json: TokenizerJson): VocabLookup {
  return (token) => {
    const vocab = json.model.vocab;
    return Object.hasOwn(vocab, token) && typeof vocab[token] === 'number' ? vocab[token] : undefined;
  };
}

/** tokenizer.json equivalent of a GPT-2 vocab.json + merges.txt, as transformers' GPT2Converter builds it. */
export function gpt2TokenizerJson(
  vocab: Record<string, number>,
  merges: Array<string | [string, string]>,
): TokenizerJson {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** Parses merges.txt: an optional `#version` header line, then one "a b" merge per line (kept as strings). */
export function parseMerges(text: string): string[] {
  const lines = text.split('\n');
  let from = 0;
  let to = lines.length;
  if (lines[0]?.startsWith('#version')) from = 1;
  while (to > from && lines[to - 1].trim() === '') to--;
  const merges = lines.slice(from, to);
  for (let i = 0; i < merges.length; i++) {
    if (merges[i].endsWith('\r')) merges[i] = merges[i].slice(0, -1);
  }
  return merges;
}

/** A full tokenizer config from a tokenizer.json document and the transformers files. */
export function configFromFiles(
  json: TokenizerJson,
  files: TransformersTokenizerFiles,
  defaultMaxLength = VERY_LARGE_LENGTH,
  lookup: VocabLookup = vocabLookup(json),
): TokenizerConfig {
  const settings = settingsFromFiles(files, defaultMaxLength);
  return { tokenizer: withSpecialTokens(json, settings, files, lookup), settings };
}

/** Rebuilds a tokenizer from its data form (e.g. one carried in an event). */
export function tokenizerFromConfig(config: TokenizerConfig): Tokenizer {
  return new HfTokenizer(config);
}

/** The tokenizer_config.json and special_tokens_map.json transformers writes for these settings. */
export function transformersFiles(config: TokenizerConfig): Required<TransformersTokenizerFiles> {
  const s = config.settings;
  const added_tokens_decoder: Record<string, Omit<AddedTokenConfig, 'id'>> = {};
  for (const { id, ...rest } of config.tokenizer.added_tokens) added_tokens_decoder[String(id)] = rest;
  const specialTokensMap: Record<string, unknown> = {};
  if (s.bosToken !== null) specialTokensMap.bos_token = s.bosToken;
  if (s.eosToken !== null) specialTokensMap.eos_token = s.eosToken;
  if (s.unkToken !== null) specialTokensMap.unk_token = s.unkToken;
  if (s.padToken !== null) specialTokensMap.pad_token = s.padToken;
  const tokenizerConfig: Record<string, unknown> = {
    add_prefix_space: s.addPrefixSpace,
    added_tokens_decoder,
    ...specialTokensMap,
    clean_up_tokenization_spaces: s.cleanUpTokenizationSpaces,
    model_max_length: s.modelMaxLength,
    padding_side: s.paddingSide,
    truncation_side: s.truncationSide,
    tokenizer_class: 'GPT2Tokenizer',
  };
  if (s.padToken === null) tokenizerConfig.pad_token = null;
  return { tokenizerConfig, specialTokensMap };
}
