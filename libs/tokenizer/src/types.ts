// Public types of @ftune/tokenizer: options, encodings and the Tokenizer interface (the agreed contract),
// plus the data form of a whole tokenizer (tokenizer.json + transformers settings) that travels in events.
import type { AddedTokenConfig } from './added-vocabulary';
import type { DecoderConfig } from './decoders';
import type { BpeConfig } from './models/bpe/bpe';
import type { NormalizerConfig } from './normalizers';
import type { PostProcessorConfig } from './post-processors';
import type { PreTokenizerConfig } from './pre-tokenizers';

export type Side = 'right' | 'left';

export interface EncodeOptions {
  /** GPT-2 adds none either way (HF semantics); a TemplateProcessing post-processor adds its tokens. */
  addSpecialTokens?: boolean;
  /** Keep at most `maxLength` tokens, cutting on `side` (default: the tokenizer's truncation side). */
  truncation?: { maxLength: number; side?: Side };
}

export interface PaddingOptions {
  /** 'longest' (default): the longest in the batch; 'max_length': `maxLength` (default model_max_length). */
  strategy?: 'longest' | 'max_length';
  maxLength?: number;
  /** Round the padded length up to a multiple of this. */
  padToMultipleOf?: number;
  /** Default: the tokenizer's padding side. */
  side?: Side;
  /** Default: the tokenizer's pad token id (an error when it has none). */
  padTokenId?: number;
}

export interface BatchEncodeOptions extends EncodeOptions {
  /** true = 'longest'; false or absent = no padding. */
  padding?: boolean | PaddingOptions;
}

export interface Encoding {
  inputIds: number[];
  /** 1 for every real token (special tokens included), 0 for padding. */
  attentionMask: number[];
  /** [start, end) of each token in the input, in UTF-16 code units (JS string indices); [0, 0] for padding. */
  offsets: Array<[number, number]>;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /** Default: the tokenizer's `clean_up_tokenization_spaces` setting. */
  cleanUpTokenizationSpaces?: boolean;
}

export interface Tokenizer {
  /** Vocabulary size including added tokens (50257 for gpt2). */
  readonly vocabSize: number;
  readonly eosTokenId: number | null;
  readonly bosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly modelMaxLength: number;
  encode(text: string, options?: EncodeOptions): Encoding;
  /** Fast path: ids only, no truncation, no special tokens added. */
  encodeIds(text: string): number[];
  encodeBatch(texts: string[], options?: BatchEncodeOptions): Encoding[];
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** The whole tokenizer as data; `tokenizerFromConfig(t.toConfig())` rebuilds it. */
  toConfig(): TokenizerConfig;
  /** A copy with some settings changed (e.g. a pad token, padding side). */
  withSettings(settings: Partial<TokenizerSettings>): Tokenizer;
}

/** The tokenizer.json document of Hugging Face tokenizers (the parts ftune reads). */
export interface TokenizerJson {
  version?: string;
  truncation?: unknown;
  padding?: unknown;
  added_tokens: AddedTokenConfig[];
  normalizer: NormalizerConfig | null;
  pre_tokenizer: PreTokenizerConfig | null;
  post_processor: PostProcessorConfig | null;
  decoder: DecoderConfig | null;
  model: BpeConfig;
}

/** transformers-level settings (tokenizer_config.json / special_tokens_map.json). */
export interface TokenizerSettings {
  modelMaxLength: number;
  paddingSide: Side;
  truncationSide: Side;
  cleanUpTokenizationSpaces: boolean;
  bosToken: string | null;
  eosToken: string | null;
  unkToken: string | null;
  padToken: string | null;
  /** GPT2Tokenizer's add_prefix_space (mirrored into the ByteLevel pre-tokenizer). */
  addPrefixSpace: boolean;
}

export interface TokenizerConfig {
  tokenizer: TokenizerJson;
  settings: TokenizerSettings;
}

/** transformers' VERY_LARGE_INTEGER stand-in when no model_max_length is known. */
export const VERY_LARGE_LENGTH = Number.MAX_SAFE_INTEGER;
