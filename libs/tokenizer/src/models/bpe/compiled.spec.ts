import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BYTE_TO_CHAR } from '../../pre-tokenizers/bytes';
import { BpeModel, compileBpe, type BpeConfig } from './bpe';
import { deserializeCompiled, serializeCompiled } from './compiled';

const byteVocab = Object.fromEntries(BYTE_TO_CHAR.map((ch, i) => [ch, i]));
const config: BpeConfig = {
  type: 'BPE',
  vocab: { ...byteVocab, ab: 256, abc: 257, cc: 258 },
  merges: ['a b', ['ab', 'c'], 'c c'],
};

describe('compiled BPE models', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('survive serialization and merge exactly as the model built from data', () => {
    const compiled = compileBpe(config);
    const back = deserializeCompiled(serializeCompiled(compiled));
    expect(back).not.toBeNull();
    expect(Array.from(back?.merges ?? [])).toEqual([97, 98, 256, 256, 99, 257, 99, 99, 258]);
    const lazy = new BpeModel({ compiled: back ?? compiled, config: () => config });
    const direct = new BpeModel(config);
    const word = (s: string) => Int32Array.from(s, (ch) => ch.charCodeAt(0));
    for (const s of ['abc', 'abcc', 'cccab', 'ba']) {
      const a = word(s);
      const b = word(s);
      expect(a.subarray(0, lazy.merge(a, a.length))).toEqual(b.subarray(0, direct.merge(b, b.length)));
    }
    expect(lazy.idToToken[257]).toBe('abc');
  });

  it('rejects bytes that are not a compiled model', () => {
    expect(deserializeCompiled(new Uint8Array(12))).toBeNull();
    const bytes = serializeCompiled(compileBpe(config));
    bytes[0] ^= 1;
    expect(deserializeCompiled(bytes)).toBeNull();
  });

  it('are cached on disk by the loader and give the same tokenizer on the next load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftune-cache-'));
    vi.stubEnv('FTUNE_CACHE_DIR', dir);
    vi.resetModules();
    const first = (await import('../../loader')).loadTokenizer('gpt2');
    expect(readdirSync(join(dir, 'tokenizers'))).toHaveLength(1);
    vi.resetModules();
    const second = (await import('../../loader')).loadTokenizer('gpt2');
    const text = 'Cached: <|endoftext|> ünïcödé 😀 and code() {}';
    expect(second.encode(text)).toEqual(first.encode(text));
    expect(second.decode(second.encodeIds(text))).toBe(text);
    rmSync(dir, { recursive: true, force: true });
  });
});
