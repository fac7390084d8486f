import { describe, expect, it } from 'vitest';
import { recordToText } from './text-template';

describe('recordToText', () => {
  it('joins prompt and completion around the response template', () => {
    expect(recordToText({ prompt: 'Is it good?', completion: 'yes' })).toEqual({
      text: 'Is it good?\n### Answer: yes',
      responseTemplate: '### Answer:',
      instructionTemplate: null,
      responseStart: 23,
    });
    // a completion that starts with a space keeps its own space
    expect(recordToText({ prompt: 'Q', completion: ' positive' }).text).toBe('Q\n### Answer: positive');
    expect(recordToText({ input: 'x', label: 1 }).text).toBe('x\n### Answer: 1');
  });

  it('renders chat turns with role tags', () => {
    const r = recordToText({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
      ],
    });
    expect(r.text).toBe('### System: Be brief.\n### User: Hi\n### Assistant: Hello!');
    expect(r.responseTemplate).toBe('### Assistant:');
    expect(r.instructionTemplate).toBe('### User:');
    expect(r.text.slice(r.responseStart)).toBe(' Hello!');
  });

  it('passes plain text through', () => {
    expect(recordToText({ text: 'just text' })).toEqual({
      text: 'just text',
      responseTemplate: null,
      instructionTemplate: null,
      responseStart: 0,
    });
  });
});
