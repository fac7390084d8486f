import { describe, expect, it } from 'vitest';
import { ChatTemplate } from '@ftune/dataset';
import {
  chatRecordToExample,
  detectTask,
  distinctCompletions,
  majorityLabel,
  recordToExample,
} from './examples';

describe('recordToExample', () => {
  it('splits the training text after the response template', () => {
    expect(recordToExample({ prompt: 'Great film!', completion: 'positive' }, 3)).toEqual({
      prompt: 'Great film!\n### Answer:',
      completion: ' positive',
      line: 3,
    });
    expect(recordToExample({ input: 'Dull.', label: 'negative' }).completion).toBe(' negative');
    expect(recordToExample({ text: 'just text' })).toEqual({
      prompt: '',
      completion: 'just text',
      line: undefined,
    });
  });

  it('takes the last assistant turn of a chat as the completion', () => {
    const e = recordToExample({
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: '2+2?' },
        { role: 'assistant', content: '4' },
      ],
    });
    expect(e.completion).toBe(' 4');
    expect(e.prompt.endsWith('### User: 2+2?\n### Assistant:')).toBe(true);
  });

  it('splits after the last occurrence of a given response template', () => {
    const e = recordToExample({ text: 'Q: a\nA: b\nQ: c\nA: d' }, 1, 'A:');
    expect(e.completion).toBe(' d');
  });
});

describe('task detection and labels', () => {
  const ex = (completions: string[]) => completions.map((completion) => ({ prompt: 'p', completion }));

  it('treats a few repeated completions as labels', () => {
    expect(detectTask(ex([' pos', ' neg', ' pos', ' neg']))).toBe('classification');
    expect(detectTask(ex([' a', ' b', ' c']))).toBe('generation');
    expect(detectTask(ex([' a', ' a']))).toBe('generation');
  });

  it('orders labels by their trimmed text and picks the majority (ties: first)', () => {
    expect(distinctCompletions(ex([' pos', ' neg', ' pos']))).toEqual([' neg', ' pos']);
    expect(majorityLabel([' pos', ' neg', ' pos'], [' neg', ' pos'])).toBe(' pos');
    expect(majorityLabel([' pos', ' neg'], [' neg', ' pos'])).toBe(' neg');
    expect(() => majorityLabel([], [])).toThrow(/empty label set/);
  });
});

describe('chatRecordToExample', () => {
  const chatml = new ChatTemplate(
    "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  );

  it('prompts with the conversation up to the last assistant turn and its generation prompt', () => {
    const record = {
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Is 3 odd?' },
        { role: 'assistant', content: 'yes' },
      ],
    };
    expect(chatRecordToExample(record, chatml, '<|im_end|>', 4)).toEqual({
      prompt:
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n' +
        '<|im_start|>user\nIs 3 odd?<|im_end|>\n<|im_start|>assistant\n',
      completion: 'yes',
      line: 4,
    });
  });

  it('turns prompt/completion records into one exchange, and keeps the end token when it is not the eos', () => {
    expect(chatRecordToExample({ prompt: 'P', completion: 'C' }, chatml, '</s>')).toEqual({
      prompt: '<|im_start|>user\nP<|im_end|>\n<|im_start|>assistant\n',
      completion: 'C<|im_end|>',
      line: undefined,
    });
    expect(chatRecordToExample({ text: 'plain' }, chatml).completion).toBe('plain');
  });
});
