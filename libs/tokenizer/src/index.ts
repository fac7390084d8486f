// @ftune/tokenizer — Hugging Face-compatible tokenizers: GPT-2 byte-level BPE with ids identical to GPT2TokenizerFast.
export * from './types';
export { HfTokenizer } from './tokenizer';
export {
  configFromFiles,
  gpt2TokenizerJson,
  parseMerges,
  settingsFromFiles,
  tokenizerFromConfig,
  transformersFiles,
} from './config';
export type { TransformersTokenizerFiles } from './config';
export {
  GPT2_MODEL_MAX_LENGTH,
  gpt2Config,
  loadTokenizer,
  readChatTemplates,
  readTokenizerConfig,
  saveTokenizerFiles,
} from './loader';
export type { ChatTemplates } from './loader';
export { pad, paddedLength, truncate } from './padding';
export { cleanUpTokenization } from './decoders';
export type { AddedTokenConfig } from './added-vocabulary';
export type { BpeConfig } from './models/bpe/bpe';
export type { NormalizerConfig } from './normalizers';
export type { PreTokenizerConfig } from './pre-tokenizers';
export type { PostProcessorConfig } from './post-processors';
export type { DecoderConfig } from './decoders';
export { WHITESPACE_CODE_POINTS } from './unicode';
export { detokenizeLines, tokenizeLines } from './jsonl';
export type { DetokenizeLinesOptions, LinesResult, TokenizeLinesOptions } from './jsonl';
export { TokenizerPool, tokenizeMany } from './parallel/pool';
