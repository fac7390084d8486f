import { describe, expect, it } from 'vitest';
import { UserError } from '@ftune/common';
import { ChatTemplate, recordToMessages, selectChatTemplate } from './chat-template';

const CHATML =
  "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const chat = [
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello!' },
];

describe('ChatTemplate', () => {
  it('finds assistant turns by rendering each prefix: what follows the generation prompt, less trailing whitespace', () => {
    const r = new ChatTemplate(CHATML).renderForTraining(chat);
    expect(r.text).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n');
    expect(r.spans.map(([a, b]) => r.text.slice(a, b))).toEqual(['Hello!<|im_end|>']);
  });

  it('takes the spans of {% generation %} blocks and leaves no marker in the text', () => {
    const t = new ChatTemplate(
      "{% for m in messages %}{% if m.role == 'assistant' %}A:{% generation %}{{ m.content }}.{% endgeneration %}\n" +
        '{% else %}U:{{ m.content }}\n{% endif %}{% endfor %}',
    );
    expect(t.hasGenerationMarkers).toBe(true);
    const r = t.renderForTraining(chat);
    expect(r.text).toBe('U:Hi\nA:Hello!.'); // trim_blocks takes the newline after the block tag
    expect(r.spans).toEqual([[7, 14]]);
  });

  it('passes the special tokens and refuses what the template raises, as a user error', () => {
    const t = new ChatTemplate(
      "{{ bos_token }}{% if messages[0].role != 'user' %}{{ raise_exception('user first') }}{% endif %}",
      { bos_token: '<s>' },
    );
    expect(t.render(chat).text).toBe('<s>');
    expect(() => t.render([{ role: 'system', content: 'x' }])).toThrow(
      new UserError('chat_template: user first'),
    );
  });

  it('names chat_template when the template does not parse', () => {
    expect(() => new ChatTemplate('{% for m in messages %}')).toThrow(
      /^chat_template: cannot parse the template/,
    );
  });

  it('refuses a template whose turns cannot be told apart without generation blocks', () => {
    // the last turn is rendered differently: a prefix is not the start of the whole conversation
    const t = new ChatTemplate(
      '{% for m in messages %}{{ m.content }}{% if loop.last %}<end>{% else %}|{% endif %}{% endfor %}',
    );
    expect(() => t.renderForTraining([...chat, { role: 'user', content: 'Bye' }])).toThrow(
      /does not render message 1 as a continuation .* \{% generation %\}/,
    );
  });

  it('refuses message text holding the characters that mark generation blocks', () => {
    const t = new ChatTemplate(
      '{% for m in messages %}{% generation %}{{ m.content }}{% endgeneration %}{% endfor %}',
    );
    expect(() => t.render([{ role: 'assistant', content: 'a\uE000b' }])).toThrow(/U\+E000/);
  });
});

describe('selectChatTemplate', () => {
  it('picks the single template, the "default" one, or the one named', () => {
    expect(selectChatTemplate('T')).toBe('T');
    expect(selectChatTemplate({ default: 'D', tool_use: 'X' })).toBe('D');
    expect(selectChatTemplate({ default: 'D', tool_use: 'X' }, 'tool_use')).toBe('X');
  });

  it('names the templates there are when the name is unknown or none is the default', () => {
    expect(() => selectChatTemplate({ a: 'A', b: 'B' })).toThrow(/none named "default"; choose one of a, b/);
    expect(() => selectChatTemplate({ a: 'A' }, 'zz')).toThrow(
      /"zz" is neither a file nor a template of the tokenizer \(it has a\)/,
    );
    expect(() => selectChatTemplate('T', 'zz')).toThrow(/one unnamed template/);
  });
});

describe('recordToMessages', () => {
  it('keeps chat messages, turns prompt/completion and input/output into a user and an assistant turn', () => {
    expect(recordToMessages({ messages: chat })).toEqual(chat);
    expect(recordToMessages({ prompt: 'P', completion: 'C' })).toEqual([
      { role: 'user', content: 'P' },
      { role: 'assistant', content: 'C' },
    ]);
    expect(recordToMessages({ input: 'I', label: 1 })).toEqual([
      { role: 'user', content: 'I' },
      { role: 'assistant', content: '1' },
    ]);
    expect(recordToMessages({ text: 'plain' })).toBeNull();
  });
});
