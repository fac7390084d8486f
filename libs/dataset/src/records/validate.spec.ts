import { describe, expect, it } from 'vitest';
import { detectStyle } from './record';
import { validateRecord } from './validate';

const reason = (r: ReturnType<typeof validateRecord>) => ('reason' in r ? r.reason : 'ok');
const message = (r: ReturnType<typeof validateRecord>) => ('message' in r ? r.message : '');

describe('detectStyle', () => {
  it('picks the style from the fields present', () => {
    expect(detectStyle({ messages: [] })).toBe('chat');
    expect(detectStyle({ prompt: 'a', completion: 'b' })).toBe('prompt-completion');
    expect(detectStyle({ completion: 'b' })).toBe('prompt-completion');
    expect(detectStyle({ input: 'a', label: 1 })).toBe('input-output');
    expect(detectStyle({ text: 'a' })).toBe('text');
    expect(detectStyle({ foo: 1 })).toBeUndefined();
  });
});

describe('validateRecord', () => {
  it('accepts each style and returns its content and label candidate', () => {
    expect(validateRecord({ prompt: 'Q', completion: ' yes', id: 3 }, 'prompt-completion')).toEqual({
      content: ['Q', ' yes'],
      label: ' yes',
      explicitLabel: false,
    });
    expect(validateRecord({ text: 'hello' }, 'text')).toEqual({ content: ['hello'], explicitLabel: false });
    expect(validateRecord({ input: 'x', label: 1 }, 'input-output')).toMatchObject({
      content: ['x', '', '1'],
      label: '1',
    });
    expect(validateRecord({ input: 'x', output: 'y' }, 'input-output')).toMatchObject({
      content: ['x', 'y', ''],
      label: 'y',
    });
    const chat = {
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    };
    expect(validateRecord(chat, 'chat')).toEqual({
      content: ['system', 'be brief', 'user', 'hi', 'assistant', 'hello'],
      explicitLabel: false,
    });
  });

  it('names a missing, empty or mistyped required field', () => {
    expect(reason(validateRecord({ prompt: 'Q' }, 'prompt-completion'))).toBe('missing-field');
    expect(message(validateRecord({ prompt: 'Q' }, 'prompt-completion'))).toBe(
      'missing required field "completion"',
    );
    const empty = validateRecord({ prompt: ' \t', completion: 'a' }, 'prompt-completion');
    expect([reason(empty), message(empty)]).toEqual(['empty-field', 'field "prompt" is empty']);
    const typed = validateRecord({ prompt: 'Q', completion: 5 }, 'prompt-completion');
    expect([reason(typed), message(typed)]).toEqual([
      'wrong-type',
      'field "completion" must be a string, got number',
    ]);
    expect(reason(validateRecord({ text: null }, 'text'))).toBe('wrong-type');
    expect(reason(validateRecord({ input: 'x', label: { a: 1 } }, 'input-output'))).toBe('wrong-type');
  });

  it('checks chat roles, message shapes and the assistant turn', () => {
    const unknown = validateRecord({ messages: [{ role: 'bot', content: 'x' }] }, 'chat');
    expect([reason(unknown), message(unknown)]).toEqual([
      'unknown-role',
      'messages[0].role "bot" is not one of system, user, assistant',
    ]);
    const noAssistant = validateRecord({ messages: [{ role: 'user', content: 'x' }] }, 'chat');
    expect([reason(noAssistant), message(noAssistant)]).toEqual([
      'no-assistant-turn',
      'chat has no assistant turn',
    ]);
    expect(reason(validateRecord({ messages: 'hi' }, 'chat'))).toBe('wrong-type');
    expect(reason(validateRecord({ messages: [] }, 'chat'))).toBe('empty-field');
    expect(reason(validateRecord({ messages: ['hi'] }, 'chat'))).toBe('wrong-type');
    const emptyContent = validateRecord({ messages: [{ role: 'assistant', content: '' }] }, 'chat');
    expect([reason(emptyContent), message(emptyContent)]).toEqual([
      'empty-field',
      'messages[0]: field "content" is empty',
    ]);
    expect(reason(validateRecord({ messages: [{ role: 'assistant' }] }, 'chat'))).toBe('missing-field');
  });

  it('makes --label-field required and uses it as the label', () => {
    expect(validateRecord({ text: 'a', topic: 'sport' }, 'text', 'topic')).toEqual({
      content: ['a'],
      label: 'sport',
      explicitLabel: true,
    });
    expect(reason(validateRecord({ text: 'a' }, 'text', 'topic'))).toBe('missing-field');
    expect(reason(validateRecord({ text: 'a', topic: ' ' }, 'text', 'topic'))).toBe('empty-field');
    expect(reason(validateRecord({ text: 'a', topic: [1] }, 'text', 'topic'))).toBe('wrong-type');
  });
});
