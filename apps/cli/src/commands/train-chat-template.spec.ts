// `ftune train` end to end (a real process) on chat records with a ChatML tokenizer folder: the records are
// rendered with the folder's chat template (the one transformers' apply_chat_template parity is held for
// in libs/dataset), the labels cover the assistant turns only, and the trained folder keeps the template.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, gptNeoConfig, saveModel } from '@ftune/model-gpt-neo';
import { loadTokenizer, readChatTemplates } from '@ftune/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');
const CHATML = join(ROOT, 'libs', 'dataset', 'fixtures', 'chat-templates', 'tokenizers', 'chatml');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ftune-train-chat-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const conversations = [
  [
    { role: 'system', content: 'Answer in French.' },
    { role: 'user', content: 'Thank you' },
    { role: 'assistant', content: 'Merci — de rien ! 😊' },
    { role: 'user', content: 'Goodbye' },
    { role: 'assistant', content: 'Au revoir.' },
  ],
  [
    { role: 'user', content: 'Name a colour.' },
    { role: 'assistant', content: 'Blue.' },
  ],
  [
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: '4' },
  ],
  [
    { role: 'system', content: 'Be terse.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello.' },
  ],
];

function ftune(command: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, command, ...args], { encoding: 'utf8', cwd: tmp });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.split('\n') };
}
const ftuneTrain = (args: string[]) => ftune('train', args);

beforeAll(async () => {
  await tf.setBackend('cpu');
  const data = join(tmp, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(
    join(data, 'train.jsonl'),
    conversations.map((messages) => JSON.stringify({ messages })).join('\n') + '\n',
  );
  fs.writeFileSync(join(data, 'validation.jsonl'), '');
  fs.writeFileSync(
    join(data, 'test.jsonl'),
    conversations
      .slice(1, 3)
      .map((messages) => JSON.stringify({ messages }))
      .join('\n') + '\n',
  );
  const split = (records: number) => ({ records, sha256: '' });
  fs.writeFileSync(
    join(data, 'manifest.json'),
    JSON.stringify({ version: 1, splits: { train: split(4), validation: split(0), test: split(2) } }),
  );
  // a tiny GPT-Neo over the ChatML tokenizer folder's vocabulary, <|im_end|> as its eos
  const tokenizer = loadTokenizer(CHATML);
  const eos = tokenizer.eosTokenId!;
  const config = {
    ...gptNeoConfig('tiny'),
    vocabSize: tokenizer.vocabSize,
    bosTokenId: eos,
    eosTokenId: eos,
  };
  const model = createModel(config, 7);
  saveModel(model, join(tmp, 'chatml-model'), { tokenizerDir: CHATML });
  model.dispose();
});

describe('ftune train with a chat template', () => {
  it(
    "renders chat records with the model folder's ChatML template and trains on the assistant turns only",
    { timeout: 300_000 },
    () => {
      const r = ftuneTrain([
        '--model',
        'chatml-model',
        '--dataset',
        'data',
        '--out',
        'run',
        '--max-steps',
        '1',
      ]);
      expect(r.stderr.filter((l) => l.startsWith('ftune:'))).toEqual([]);
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(
        'chat template: chatml-model/tokenizer_config.json; loss on the assistant turns ' +
          '(what the template renders after each generation prompt)',
      );
      const shown = r.stderr.find((l) => l.startsWith('train.jsonl record 1 as trained, labels in «»: '));
      expect(JSON.parse(shown!.slice(shown!.indexOf(': ') + 2))).toBe(
        '<|im_start|>system\nAnswer in French.<|im_end|>\n' +
          '<|im_start|>user\nThank you<|im_end|>\n' +
          '<|im_start|>assistant\n«Merci — de rien ! 😊<|im_end|>»\n' +
          '<|im_start|>user\nGoodbye<|im_end|>\n' +
          '<|im_start|>assistant\n«Au revoir.<|im_end|>»\n',
      );
      // the labels are the assistant turns of the four records: far fewer than the tokens
      const [, labels, tokens] = /^labels: (\d+) of the (\d+) tokens/.exec(
        r.stderr.find((l) => l.startsWith('labels: '))!,
      )!;
      expect(Number(labels)).toBeGreaterThan(0);
      expect(Number(labels)).toBeLessThan(Number(tokens) / 2);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', globalStep: 1 });
      // the trained model is served with the template it learnt, and evaluated with it
      expect(readChatTemplates(join(tmp, 'run', 'model'))).toBe(readChatTemplates(CHATML));
      const ev = ftune('evaluate', [
        '--model',
        'run/model',
        '--dataset',
        'data',
        '--out',
        'eval',
        '--samples',
        '1',
      ]);
      expect(ev.stderr.filter((l) => l.startsWith('ftune:'))).toEqual([]);
      expect(ev.stderr).toContain(
        'chat template: run/model/tokenizer_config.json; the prompt ends with its generation prompt',
      );
      const evalJson = JSON.parse(fs.readFileSync(join(tmp, 'eval', 'eval.json'), 'utf8')) as {
        samples: { items: Array<{ line: number; prompt: string; reference: string }> };
      };
      // test.jsonl line N holds conversations[N] (records 1 and 2)
      const byLine = (line: number) => {
        const [user, assistant] = conversations[line];
        return {
          prompt: `<|im_start|>user\n${user.content}<|im_end|>\n<|im_start|>assistant\n`,
          reference: assistant.content,
        };
      };
      expect(evalJson.samples.items.length).toBeGreaterThan(0);
      for (const item of evalJson.samples.items) expect(item).toMatchObject(byLine(item.line));
    },
  );

  it(
    'takes --chat-template FILE over the folder template, and names a template it cannot find',
    { timeout: 300_000 },
    () => {
      fs.writeFileSync(
        join(tmp, 'plain.jinja'),
        "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + eos_token + '\\n' }}{% endfor %}" +
          "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}",
      );
      const r = ftuneTrain([
        '--model',
        'chatml-model',
        '--dataset',
        'data',
        '--out',
        'run-file',
        '--max-steps',
        '1',
        '--chat-template',
        'plain.jinja',
      ]);
      expect(r.status).toBe(0);
      const shown = r.stderr.find((l) => l.startsWith('train.jsonl record 1 as trained'))!;
      expect(JSON.parse(shown.slice(shown.indexOf(': ') + 2))).toBe(
        'system: Answer in French.<|im_end|>\nuser: Thank you<|im_end|>\n' +
          'assistant: «Merci — de rien ! 😊<|im_end|>»\nuser: Goodbye<|im_end|>\nassistant: «Au revoir.<|im_end|>»\n',
      );

      const bad = ftuneTrain([
        '--model',
        'chatml-model',
        '--dataset',
        'data',
        '--out',
        'x',
        '--chat-template',
        'nope',
      ]);
      expect(bad.status).toBe(2);
      expect(bad.stderr.filter((l) => l.startsWith('ftune:'))).toEqual([
        'ftune: chat_template: "nope" is neither a file nor a template of the tokenizer (it has one unnamed template)',
      ]);
    },
  );
});
