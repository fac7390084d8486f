import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenizerFromConfig } from './config';
import { UserError } from '@ftune/common';
import { loadTokenizer, readChatTemplates, saveTokenizerFiles } from './loader';
import { tokenizeMany } from './parallel/pool';

const texts = [
  'Hello world',
  'a <|endoftext|>b',
  "don't  stop\r\n\ttabs",
  '日本語 😀 ٣٤',
  ' \u0085 \ufeff x',
];
const dir = mkdtempSync(join(tmpdir(), 'ftune-tokenizer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loading and saving', () => {
  const gpt2 = loadTokenizer('gpt2').withSettings({ padToken: '<|endoftext|>', paddingSide: 'left' });

  it('writes Hugging Face files that load back to the same tokenizer', () => {
    saveTokenizerFiles(gpt2, dir);
    const files = [
      'tokenizer.json',
      'vocab.json',
      'merges.txt',
      'tokenizer_config.json',
      'special_tokens_map.json',
    ];
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8').length).toBeGreaterThan(0);
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      pad_token: '<|endoftext|>',
      padding_side: 'left',
      model_max_length: 2048,
    });
    const back = loadTokenizer(dir);
    expect(back.vocabSize).toBe(50257);
    expect(back.padTokenId).toBe(50256);
    for (const t of texts) expect(back.encode(t)).toEqual(gpt2.encode(t));
    expect(back.encodeBatch(['a', 'b c'], { padding: true })[0].inputIds).toEqual([50256, 64]);
  });

  it('loads vocab.json + merges.txt without tokenizer.json as GPT2TokenizerFast does', () => {
    rmSync(join(dir, 'tokenizer.json'));
    const back = loadTokenizer(dir);
    for (const t of texts) expect(back.encodeIds(t)).toEqual(gpt2.encodeIds(t));
  });

  it('travels as plain data: JSON round trip of the config rebuilds the same tokenizer', () => {
    const config = JSON.parse(JSON.stringify(gpt2.toConfig())) as ReturnType<typeof gpt2.toConfig>;
    const rebuilt = tokenizerFromConfig(config);
    for (const t of texts) expect(rebuilt.encode(t)).toEqual(gpt2.encode(t));
    expect(rebuilt.padTokenId).toBe(50256);
  });

  it('tokenizes many texts on worker threads, in order, as on this thread', async () => {
    const many = Array.from({ length: 300 }, (_, i) => `${texts[i % texts.length]} #${i}`);
    const expected = many.map((t) => gpt2.encodeIds(t));
    const ids = (r: Int32Array[]) => r.map((a) => Array.from(a));
    expect(ids(await tokenizeMany(many, { source: 'gpt2', workers: 2, chunkSize: 40 }))).toEqual(expected);
    expect(ids(await tokenizeMany(many, { source: 'gpt2', workers: 1 }))).toEqual(expected);
  });

  it('names the problem when a folder is not a tokenizer', () => {
    expect(() => loadTokenizer(join(dir, 'missing'))).toThrow(/tokenizer not found/);
    expect(() => loadTokenizer(tmpdir())).toThrow(/neither tokenizer.json nor vocab.json/);
  });
});

describe('chat templates of a folder', () => {
  const folder = (
    name: string,
    config: Record<string, unknown>,
    files: Record<string, string> = {},
  ): string => {
    const d = join(dir, name);
    mkdirSync(join(d, 'additional_chat_templates'), { recursive: true });
    writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify(config));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
    return d;
  };

  it("reads tokenizer_config.json's chat_template as a string or as a list of named templates", () => {
    expect(readChatTemplates(folder('one', { chat_template: '{{ x }}' }))).toBe('{{ x }}');
    const named = folder('named', {
      chat_template: [
        { name: 'default', template: 'A' },
        { name: 'tool_use', template: 'B' },
      ],
    });
    expect(readChatTemplates(named)).toEqual({ default: 'A', tool_use: 'B' });
    expect(readChatTemplates(folder('none', {}))).toBeNull();
    expect(readChatTemplates('gpt2')).toBeNull();
  });

  it('lets chat_template.jinja and additional_chat_templates/*.jinja replace it, as transformers does', () => {
    const d = folder('files', { chat_template: 'old' }, { 'chat_template.jinja': 'new' });
    expect(readChatTemplates(d)).toBe('new');
    writeFileSync(join(d, 'additional_chat_templates', 'tool_use.jinja'), 'tools');
    expect(readChatTemplates(d)).toEqual({ default: 'new', tool_use: 'tools' });
  });

  it('refuses a chat_template that is neither, naming the file', () => {
    expect(() => readChatTemplates(folder('bad', { chat_template: [{ name: 'x' }] }))).toThrow(
      /bad\/tokenizer_config.json: chat_template must be a string or a list/,
    );
    expect(() => readChatTemplates(folder('bad2', { chat_template: 3 }))).toThrow(UserError);
  });

  it('writes the template it was given into tokenizer_config.json, where transformers reads it back', () => {
    const out = join(dir, 'saved-chat');
    saveTokenizerFiles(loadTokenizer('gpt2'), out, { chatTemplate: { default: 'A', other: 'B' } });
    expect(readChatTemplates(out)).toEqual({ default: 'A', other: 'B' });
    saveTokenizerFiles(loadTokenizer('gpt2'), out, { chatTemplate: 'C' });
    expect(readChatTemplates(out)).toBe('C');
  });
});
