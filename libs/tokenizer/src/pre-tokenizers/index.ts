// Pre-tokenizers: split a text segment into pieces the model tokenizes one by one.
// Supported: ByteLevel (GPT-2 pattern, byte-to-unicode alphabet, optional prefix space) and a
// Sequence holding one ByteLevel step, as tokenizers writes them in tokenizer.json.
import { Pieces, splitGpt2 } from './gpt2-split';

export { Pieces, splitGpt2 } from './gpt2-split';
export { BYTE_TO_CHAR, CHAR_TO_BYTE, encodeUtf8 } from './bytes';

export interface ByteLevelConfig {
  type: 'ByteLevel';
  add_prefix_space?: boolean;
  trim_offsets?: boolean;
  use_regex?: boolean;
}

export type PreTokenizerConfig = ByteLevelConfig | { type: 'Sequence'; pretokenizers: PreTokenizerConfig[] };

export interface PreTokenizer {
  readonly config: PreTokenizerConfig;
  /** Pieces are written in the byte-to-unicode alphabet (byte-level) or taken as they are. */
  readonly byteLevel: boolean;
  /** Prepend a space to each segment that does not start with one. */
  readonly addPrefixSpace: boolean;
  split(text: string, from: number, to: number, out: Pieces): void;
}

export function preTokenizerFromConfig(config: PreTokenizerConfig): PreTokenizer {
  switch (config.type) {
    case 'ByteLevel': {
      const useRegex = config.use_regex ?? true;
      return {
        config,
        byteLevel: true,
        // tokenizers' ByteLevel defaults add_prefix_space to true when the field is absent
        addPrefixSpace: config.add_prefix_space ?? true,
        split: useRegex ? splitGpt2 : (_text, from, to, out) => (to > from ? out.push(from, to) : undefined),
      };
    }
    case 'Sequence': {
      if (config.pretokenizers.length !== 1) {
        throw new Error('Only a Sequence of exactly one pre-tokenizer is supported');
      }
      return preTokenizerFromConfig(config.pretokenizers[0]);
    }
    default:
      throw new Error(`Unsupported pre-tokenizer: ${JSON.stringify(config)}`);
  }
}

/** The pre-tokenizer of GPT2TokenizerFast. */
export function gpt2PreTokenizer(addPrefixSpace = false): PreTokenizer {
  return preTokenizerFromConfig({
    type: 'ByteLevel',
    add_prefix_space: addPrefixSpace,
    trim_offsets: true,
    use_regex: true,
  });
}
