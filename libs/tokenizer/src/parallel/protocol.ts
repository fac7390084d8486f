// Messages between a TokenizerPool and its worker threads.
import type { DetokenizeLinesOptions, LinesResult, TokenizeLinesOptions } from '../jsonl';
import type { TokenizerConfig, TokenizerSettings } from '../types';

export interface WorkerInit {
  /** 'gpt2', a Hugging Face folder, or a whole tokenizer config. */
  source: string | TokenizerConfig;
  settings?: Partial<TokenizerSettings>;
}

export type WorkerTask =
  | { id: number; kind: 'tokenizeLines'; chunk: string; firstLine: number; options: TokenizeLinesOptions }
  | { id: number; kind: 'detokenizeLines'; chunk: string; firstLine: number; options: DetokenizeLinesOptions }
  /** Texts concatenated into one string (one copy to clone) with each text's length. */
  | { id: number; kind: 'encodeIds'; joined: string; lengths: Int32Array };

export type WorkerReply =
  | { id: number; kind: 'lines'; result: LinesResult }
  | { id: number; kind: 'ids'; ids: Int32Array; lengths: Int32Array }
  | { id: number; kind: 'error'; message: string };
