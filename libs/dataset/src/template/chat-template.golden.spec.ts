// Parity with transformers' apply_chat_template: fixtures written by tools/golden/chat_template.py
// (transformers 4.53.2, versions recorded in golden.json) for ChatML, Llama-2, Zephyr and Mistral-style
// templates and their `-generation` variants, with the tokenizer folders it saved. Exact text, ids, masks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, readChatTemplates, type Tokenizer } from '@ftune/tokenizer';
import {
  assistantMask,
  ChatTemplate,
  chatSpecialTokens,
  selectChatTemplate,
  spanTokenMask,
  type ChatMessageInput,
} from './chat-template';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'chat-templates');

interface GoldenCase {
  folder: string;
  template: string;
  conversation: string;
  add_generation_prompt: boolean;
  text?: string;
  input_ids?: number[];
  assistant_masks?: number[];
  error?: string;
}
interface Golden {
  versions: Record<string, string>;
  conversations: Record<string, ChatMessageInput[]>;
  cases: GoldenCase[];
}

const golden = JSON.parse(readFileSync(join(FIXTURES, 'golden.json'), 'utf8')) as Golden;
const tokenizers = new Map<string, Tokenizer>();
const tokenizerOf = (folder: string): Tokenizer => {
  let t = tokenizers.get(folder);
  if (!t) tokenizers.set(folder, (t = loadTokenizer(join(FIXTURES, 'tokenizers', folder))));
  return t;
};
const templateText = (name: string): string =>
  readFileSync(join(FIXTURES, 'templates', `${name}.jinja`), 'utf8');
const compiled = new Map<string, ChatTemplate>();
const templateOf = (c: GoldenCase): ChatTemplate => {
  const key = `${c.folder}/${c.template}`;
  let t = compiled.get(key);
  if (!t) {
    const tokenizer = tokenizerOf(c.folder);
    compiled.set(
      key,
      (t = new ChatTemplate(templateText(c.template), chatSpecialTokens(tokenizer.toConfig().settings))),
    );
  }
  return t;
};
const count = (mask: number[]): number => mask.filter((m) => m === 1).length;
const label = (c: GoldenCase): string =>
  `${c.template} on ${c.conversation}${c.add_generation_prompt ? ' + generation prompt' : ''}`;

describe('chat templates, as transformers renders them', () => {
  it('were made by the pinned reference versions', () => {
    expect(golden.versions.transformers).toBe('4.53.2');
    expect(golden.versions.tokenizers).toBe('0.21.4');
    expect(golden.cases.length).toBeGreaterThanOrEqual(100);
    expect(golden.cases.filter((c) => c.assistant_masks).length).toBeGreaterThanOrEqual(40);
  });

  it('reads the templates of the saved tokenizer folders (chat_template.jinja, additional_chat_templates/)', () => {
    expect(readChatTemplates(join(FIXTURES, 'tokenizers', 'chatml'))).toBe(templateText('chatml'));
    const named = readChatTemplates(join(FIXTURES, 'tokenizers', 'llama'));
    expect(typeof named === 'object' && named !== null && Object.keys(named).sort()).toEqual([
      'default',
      'llama-2-chat',
      'llama-2-chat-generation',
      'mistral-instruct',
      'mistral-instruct-generation',
      'zephyr',
      'zephyr-generation',
    ]);
    expect(selectChatTemplate(named!)).toBe(templateText('llama-2-chat'));
    expect(selectChatTemplate(named!, 'zephyr')).toBe(templateText('zephyr'));
  });

  for (const c of golden.cases) {
    it(`${label(c)}: ${c.error ? 'refused with the same message' : 'same text, ids and mask'}`, () => {
      const messages = golden.conversations[c.conversation];
      const template = templateOf(c);
      if (c.error) {
        expect(() => template.render(messages, { addGenerationPrompt: c.add_generation_prompt })).toThrow(
          c.error,
        );
        return;
      }
      const rendered = template.render(messages, { addGenerationPrompt: c.add_generation_prompt });
      expect(rendered.text).toBe(c.text);
      const { inputIds, offsets } = tokenizerOf(c.folder).encode(rendered.text, { addSpecialTokens: false });
      expect(inputIds).toEqual(c.input_ids);
      if (c.assistant_masks) expect(assistantMask(offsets, rendered.spans)).toEqual(c.assistant_masks);
    });
  }
});

describe('assistant turns without generation blocks', () => {
  // Each family's `-generation` variant renders the same text and marks what follows each generation
  // prompt up to the end of the turn; ftune finds the same spans in the plain template by rendering prefixes.
  const plain = golden.cases.filter(
    (c) => !c.template.endsWith('-generation') && !c.error && !c.add_generation_prompt,
  );
  for (const c of plain) {
    it(`${label(c)}: the training mask equals the generation-marked variant's`, () => {
      const marked = golden.cases.find(
        (m) =>
          m.template === `${c.template}-generation` &&
          m.conversation === c.conversation &&
          !m.add_generation_prompt,
      )!;
      expect(marked.text).toBe(c.text);
      const tokenizer = tokenizerOf(c.folder);
      const fromPrefixes = templateOf(c).tokenize(golden.conversations[c.conversation], tokenizer);
      const fromMarkers = templateOf(marked).tokenize(golden.conversations[c.conversation], tokenizer);
      expect(fromPrefixes.inputIds).toEqual(c.input_ids);
      expect(fromPrefixes.spans).toEqual(fromMarkers.spans);
      expect(fromPrefixes.trainMask).toEqual(fromMarkers.trainMask);
      // transformers' mask loses a turn that starts on a lone space token (Llama-2's ' ' + content, and
      // content that starts with a space): its offsets are trimmed empty, char_to_token finds nothing
      const startsOnSpace = c.template.startsWith('llama-2') || c.conversation === 'whitespace';
      if (!startsOnSpace) expect(fromPrefixes.trainMask).toEqual(marked.assistant_masks);
      else expect(count(marked.assistant_masks!)).toBeLessThan(count(fromPrefixes.trainMask));
    });
  }

  it("keeps Llama-2's assistant turns that transformers' mask loses (a lone space token starts them)", () => {
    const c = golden.cases.find(
      (m) =>
        m.template === 'llama-2-chat-generation' &&
        m.conversation === 'multi-turn' &&
        !m.add_generation_prompt,
    )!;
    expect(c.assistant_masks!.every((m) => m === 0)).toBe(true);
    const t = templateOf(c).tokenize(golden.conversations[c.conversation], tokenizerOf(c.folder));
    const trained = tokenizerOf(c.folder).decode(t.inputIds.filter((_, i) => t.trainMask[i] === 1));
    expect(trained).toBe(' Blue. </s> Green, or perhaps teal. </s>');
  });
});

describe('spanTokenMask', () => {
  it('takes the tokens overlapping a span, and a trimmed whitespace token by the end of its characters', () => {
    // "ab c": tokens "ab" [0,2), " " trimmed to [3,3), "c" [3,4)
    const offsets: Array<[number, number]> = [
      [0, 2],
      [3, 3],
      [3, 4],
    ];
    expect(spanTokenMask(offsets, [[2, 4]])).toEqual([0, 1, 1]);
    expect(spanTokenMask(offsets, [[3, 4]])).toEqual([0, 0, 1]);
    expect(spanTokenMask(offsets, [[1, 2]])).toEqual([1, 0, 0]);
    expect(spanTokenMask(offsets, [])).toEqual([0, 0, 0]);
  });
});
