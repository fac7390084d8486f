// Parity with Hugging Face: fixtures written by tools/golden/tokenizer.py from transformers'
// GPT2TokenizerFast and tokenizers (versions recorded in the fixtures). Exact ids, offsets and text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from './loader';
import type { BatchEncodeOptions, Side, Tokenizer } from './types';

const FIXTURES = join(__dirname, '..', 'fixtures');

interface EncodeCase {
  text: string;
  ids: number[];
  offsets: Array<[number, number]>;
  decoded?: string;
  decoded_clean?: string;
  decoded_skip_special?: string;
}

interface BatchCase {
  side: Side;
  settings: {
    padding?: boolean | 'max_length';
    pad_to_multiple_of?: number;
    max_length?: number;
    truncation?: boolean;
  };
  texts: string[];
  input_ids: number[][];
  attention_mask: number[][];
  offsets: Array<Array<[number, number]>>;
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

function checkCases(tokenizer: Tokenizer, cases: EncodeCase[]): void {
  for (const c of cases) {
    const label = JSON.stringify(c.text);
    expect(tokenizer.encodeIds(c.text), label).toEqual(c.ids);
    const enc = tokenizer.encode(c.text);
    expect(enc.inputIds, label).toEqual(c.ids);
    expect(enc.offsets, label).toEqual(c.offsets);
    if (c.decoded !== undefined) expect(tokenizer.decode(c.ids), label).toBe(c.decoded);
    if (c.decoded_clean !== undefined) {
      expect(tokenizer.decode(c.ids, { cleanUpTokenizationSpaces: true }), label).toBe(c.decoded_clean);
    }
    if (c.decoded_skip_special !== undefined) {
      expect(tokenizer.decode(c.ids, { skipSpecialTokens: true }), label).toBe(c.decoded_skip_special);
    }
  }
}

/** transformers __call__ settings → our batch options. */
function batchOptions(c: BatchCase): BatchEncodeOptions {
  const s = c.settings;
  const options: BatchEncodeOptions = {};
  if (s.truncation && s.max_length !== undefined)
    options.truncation = { maxLength: s.max_length, side: c.side };
  if (s.padding) {
    options.padding = {
      strategy: s.padding === 'max_length' ? 'max_length' : 'longest',
      maxLength: s.padding === 'max_length' ? s.max_length : undefined,
      padToMultipleOf: s.pad_to_multiple_of,
      side: c.side,
    };
  }
  return options;
}

describe('GPT-2 against GPT2TokenizerFast', () => {
  const gpt2 = loadTokenizer('gpt2');
  const golden = fixture<{
    defaults: { clean_up_tokenization_spaces: boolean };
    cases: EncodeCase[];
    prefix_space: EncodeCase[];
    batches: BatchCase[];
  }>('gpt2-golden.json');

  it(`matches ids, offsets and decodes on the hand corpus (${golden.cases.length} texts)`, () => {
    expect(golden.cases.length).toBeGreaterThan(400);
    checkCases(gpt2, golden.cases);
  });

  it('uses the same clean-up default as the reference transformers', () => {
    const settings = gpt2.toConfig().settings;
    expect(settings.cleanUpTokenizationSpaces).toBe(golden.defaults.clean_up_tokenization_spaces);
  });

  it(`matches with add_prefix_space (${golden.prefix_space.length} texts)`, () => {
    checkCases(gpt2.withSettings({ addPrefixSpace: true }), golden.prefix_space);
  });

  it.each(golden.batches.map((b) => [`${b.side} ${JSON.stringify(b.settings)}`, b] as const))(
    'pads and truncates as __call__ does: %s',
    (_label, c) => {
      const tokenizer = gpt2.withSettings({ padToken: '<|endoftext|>' });
      const encodings = tokenizer.encodeBatch(c.texts, batchOptions(c));
      expect(encodings.map((e) => e.inputIds)).toEqual(c.input_ids);
      expect(encodings.map((e) => e.attentionMask)).toEqual(c.attention_mask);
      expect(encodings.map((e) => e.offsets)).toEqual(c.offsets);
    },
  );
});

describe('GPT-2 on the held-out corpus (random Unicode mixes, not used to tune the code)', () => {
  const heldout = fixture<{ cases: EncodeCase[] }>('gpt2-heldout.json');
  it(`matches ids, offsets and decodes (${heldout.cases.length} texts)`, () => {
    checkCases(loadTokenizer('gpt2'), heldout.cases);
  });
});

describe('a tokenizer.json folder (tiny byte-level BPE trained by tokenizers)', () => {
  const golden = fixture<{ cases: EncodeCase[] }>('tiny-bpe-golden.json');
  const tiny = loadTokenizer(join(FIXTURES, 'tiny-bpe'));

  it(`matches GPT2TokenizerFast loaded from the folder (${golden.cases.length} texts)`, () => {
    checkCases(tiny, golden.cases);
  });

  it('reads the transformers settings of the folder', () => {
    expect(tiny.padTokenId).toBe(702);
    expect(tiny.eosTokenId).toBe(0);
    expect(tiny.modelMaxLength).toBe(64);
    expect(tiny.vocabSize).toBe(703);
  });
});

describe('a tokenizer.json folder with an NFKC + Lowercase normalizer', () => {
  const golden = fixture<{ cases: EncodeCase[] }>('tiny-nfkc-golden.json');
  it(`matches GPT2TokenizerFast, offsets in the original text (${golden.cases.length} texts)`, () => {
    checkCases(loadTokenizer(join(FIXTURES, 'tiny-nfkc')), golden.cases);
  });
});
