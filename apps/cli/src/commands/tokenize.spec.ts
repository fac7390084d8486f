// `ftune tokenize` / `ftune detokenize` end to end (real processes, stdin → stdout), against ids made
// by Hugging Face (libs/tokenizer/fixtures, written by tools/golden/tokenizer.py).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');
const FIXTURES = join(ROOT, 'libs', 'tokenizer', 'fixtures');

interface Case {
  text: string;
  ids: number[];
  offsets: Array<[number, number]>;
}

const heldout = (JSON.parse(readFileSync(join(FIXTURES, 'gpt2-heldout.json'), 'utf8')) as { cases: Case[] })
  .cases;

function ftune(args: string[], input: string | Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input,
    encoding: 'utf8',
    cwd: ROOT,
    maxBuffer: 1 << 28,
  });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return {
    status: r.status,
    stderr: r.stderr,
    records: lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

// each case starts several ftune processes: generous limits for a loaded machine
const SLOW = { timeout: 240_000 };

const jsonl = (texts: string[]) => texts.map((text) => JSON.stringify({ text })).join('\n') + '\n';

describe('ftune tokenize', SLOW, () => {
  it(`gives Hugging Face's ids and offsets on the held-out corpus (${heldout.length} texts), on one thread and on workers`, () => {
    const input = jsonl(heldout.map((c) => c.text));
    const one = ftune(['tokenize', '--offsets'], input);
    expect(one.status).toBe(0);
    expect(one.records).toEqual(heldout.map((c) => ({ input_ids: c.ids, offsets: c.offsets })));
    const many = ftune(['tokenize', '--workers', '2'], input);
    expect(many.status).toBe(0);
    expect(many.records).toEqual(heldout.map((c) => ({ input_ids: c.ids })));
  });

  it('truncates and pads with an attention mask', () => {
    const input = jsonl(['Hello world', 'one two three four five six']);
    const out = ftune(
      [
        'tokenize',
        '--max-length',
        '4',
        '--truncation-side',
        'left',
        '--padding',
        '--pad-to-multiple-of',
        '3',
      ],
      input,
    );
    expect(out.status).toBe(0);
    expect(out.records).toEqual([
      { input_ids: [15496, 995, 50256, 50256, 50256, 50256], attention_mask: [1, 1, 0, 0, 0, 0] },
      { input_ids: [1115, 1440, 1936, 2237, 50256, 50256], attention_mask: [1, 1, 1, 1, 0, 0] },
    ]);
  });

  it('stops at a bad line with one line on stderr naming it, exit code 2', () => {
    const out = ftune(['tokenize'], '{"text":"a"}\n{"txt":"b"}\n{"text":"c"}\n');
    expect(out.status).toBe(2);
    expect(out.stderr).toBe('ftune: line 2: expected an object with a string "text" field\n');
    expect(out.records).toEqual([{ input_ids: [64] }]);
    const json = ftune(['tokenize'], '{"text":"a"}\n\n{oops\n');
    expect(json.stderr).toMatch(/^ftune: line 3: not valid JSON/);
    const utf8 = ftune(
      ['tokenize'],
      Buffer.concat([Buffer.from('{"text":"a"}\n{"text":"'), Buffer.from([0xff]), Buffer.from('"}\n')]),
    );
    expect(utf8.stderr).toBe('ftune: line 2: not valid UTF-8\n');
  });

  it('skips bad lines with --skip-invalid and counts them on stderr', () => {
    const out = ftune(
      ['tokenize', '--skip-invalid'],
      '{"text":"a"}\nnull\n{"text":5}\n{"text":"<|endoftext|>"}\n',
    );
    expect(out.status).toBe(0);
    expect(out.records).toEqual([{ input_ids: [64] }, { input_ids: [50256] }]);
    expect(out.stderr).toBe('ftune tokenize: skipped 2 invalid line(s)\n');
  });

  it('loads a Hugging Face tokenizer folder', () => {
    const out = ftune(['tokenize', '--tokenizer', join(FIXTURES, 'tiny-bpe')], jsonl(['hi <user> there']));
    const golden = JSON.parse(readFileSync(join(FIXTURES, 'tiny-bpe-golden.json'), 'utf8')) as {
      cases: Case[];
    };
    expect(out.records).toEqual([{ input_ids: golden.cases.find((c) => c.text === 'hi <user> there')?.ids }]);
    const missing = ftune(['tokenize', '--tokenizer', join(FIXTURES, 'nope')], '');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^ftune: tokenizer not found: .*nope/);
  });

  it('streams: output for the first lines comes before the input ends', async () => {
    const child = spawn(process.execPath, [BIN, 'tokenize'], { cwd: ROOT });
    const first = new Promise<string>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(d.toString())),
    );
    child.stdin.write(jsonl(Array.from({ length: 3000 }, () => 'x'.repeat(100))));
    expect(await first).toMatch(/^\{"input_ids":\[/);
    child.stdin.end();
    await new Promise((resolve) => child.on('close', resolve));
  });
});

describe('ftune detokenize', SLOW, () => {
  it('decodes ids back to the text, with the clean-up and special-token flags', () => {
    const texts = heldout.slice(0, 50).map((c) => c.text);
    const ids =
      heldout
        .slice(0, 50)
        .map((c) => JSON.stringify({ input_ids: c.ids }))
        .join('\n') + '\n';
    const out = ftune(['detokenize'], ids);
    expect(out.status).toBe(0);
    expect(out.records).toEqual(texts.map((text) => ({ text })));
    const flags = ftune(
      ['detokenize', '--skip-special-tokens', '--clean-up-tokenization-spaces'],
      '{"input_ids":[15496,837,6894,50256]}\n',
    );
    expect(flags.records).toEqual([{ text: 'Hello,world' }]);
    const bad = ftune(['detokenize'], '{"input_ids":[1,-2]}\n');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'ftune: line 1: expected an object with an "input_ids" array of non-negative integers\n',
    );
  });
});
