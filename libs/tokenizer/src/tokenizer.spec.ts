import { describe, expect, it } from 'vitest';
import { loadTokenizer } from './loader';

const gpt2 = loadTokenizer('gpt2');

// Hand-checked vectors for the rules of docs/hf-semantics.md §1; the full golden corpus is in golden.spec.ts.
const vectors: Array<[string, number[]]> = [
  ['Hello world', [15496, 995]],
  [' Hello world', [18435, 995]],
  ['<|endoftext|>', [50256]],
  ['Hello<|endoftext|> world', [15496, 50256, 995]],
  ['a <|endoftext|>b', [64, 220, 50256, 65]],
  [' <|endoftext|> ', [220, 50256, 220]],
  ['<|EndOfText|>', [27, 91, 12915, 5189, 8206, 91, 29]],
  ['line1\r\nline2', [1370, 16, 201, 198, 1370, 17]],
  ['a\n\nb', [64, 198, 198, 65]],
  ['Hello\n\n', [15496, 628]],
  ['trailing spaces   ', [9535, 4386, 9029, 220, 220, 220]],
  ['emoji 😀!', [368, 31370, 30325, 222, 0]],
  ["it 's ok", [270, 705, 82, 12876]],
  ['\u00a0nbsp', [1849, 77, 24145]],
  ['', []],
];

describe('gpt2 tokenizer', () => {
  it.each(vectors)('encodes %j', (text, ids) => {
    expect(gpt2.encodeIds(text)).toEqual(ids);
    expect(gpt2.encode(text).inputIds).toEqual(ids);
  });

  it('reports the GPT-2 vocabulary and special ids', () => {
    expect(gpt2.vocabSize).toBe(50257);
    expect(gpt2.eosTokenId).toBe(50256);
    expect(gpt2.padTokenId).toBeNull();
    expect(gpt2.tokenToId('<|endoftext|>')).toBe(50256);
    expect(gpt2.idToToken(995)).toBe('Ġworld');
  });

  it('decodes with and without clean-up and skips special tokens on request', () => {
    const ids = gpt2.encodeIds('Hello ,world . ok ?');
    expect(gpt2.decode(ids)).toBe('Hello ,world . ok ?');
    expect(gpt2.decode(ids, { cleanUpTokenizationSpaces: true })).toBe('Hello,world. ok?');
    expect(gpt2.decode([15496, 50256], { skipSpecialTokens: true })).toBe('Hello');
    expect(gpt2.decode([30325])).toBe(' \ufffd');
  });
});
