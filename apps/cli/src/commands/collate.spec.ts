// `ftune collate` end to end (a real process, stdin → stdout) against batches made by trl 0.19.1 on a
// held-out fixture set that no library spec reads (tools/golden/collator.py, CLI_CASES).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');

interface CliCase {
  name: string;
  args: string[];
  texts: string[];
  batches: unknown[];
}

function heldOut(): CliCase[] {
  const file = join(ROOT, 'libs', 'collator', 'fixtures', 'cli-holdout.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: CliCase[] }).cases;
}

function ftuneCollate(args: string[], input: string) {
  const r = spawnSync(process.execPath, [BIN, 'collate', ...args], { input, encoding: 'utf8', cwd: ROOT });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return {
    status: r.status,
    stderr: r.stderr,
    batches: lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const jsonl = (texts: string[]) => texts.map((text) => JSON.stringify({ text })).join('\n') + '\n';

describe('ftune collate', () => {
  it.each(heldOut().map((c) => [c.name, c] as const))('equals the seed on held-out data: %s', (_name, c) => {
    const out = ftuneCollate(c.args, jsonl(c.texts));
    expect(out.status).toBe(0);
    expect(out.batches).toEqual(c.batches);
  });

  it('warns on stderr naming the line, and fixes apply as flags', () => {
    const input = jsonl(['no template', 'Q: 2+2?\n### Answer: 4<|endoftext|>']);
    const seed = ftuneCollate(['--response-template', '### Answer:'], input);
    expect(seed.stderr).toMatch(/warning: could not find the response template `### Answer:` in line 1/);
    expect((seed.batches[0].labels as number[][])[1].slice(10, 12)).toEqual([604, -100]);
    const fixed = ftuneCollate(
      ['--response-template', '### Answer:', '--keep-eos', '--untrainable', 'drop'],
      input,
    );
    expect(fixed.batches[0].labels).toEqual([[...Array(10).fill(-100), 604, 50256, -100, -100, -100, -100]]);
  });

  it('explains a template that tokenizes differently in context, and matches it given its context', () => {
    const input = jsonl(['### Question: what?\n ### Answer: that']);
    const checked = ftuneCollate(['--response-template', '### Answer:', '--check-template'], input);
    expect(checked.stderr).toContain('line 1 tokenizes "### Answer:" as [44386, 23998, 25]');
    const cured = ftuneCollate(['--response-template', '### Answer:', '--response-context', '\n '], input);
    expect(cured.stderr).toBe('');
    expect((cured.batches[0].labels as number[][])[0].filter((l) => l !== -100)).toEqual([326]);
  });

  it('groups by length when asked, saying which input lines each batch holds', () => {
    const texts = [
      'Q: a\n### Answer: b',
      `Q: ${'long '.repeat(30)}\n### Answer: c`,
      'Q: d\n### Answer: e',
      `Q: ${'long '.repeat(29)}\n### Answer: f`,
    ];
    const out = ftuneCollate(
      ['--response-template', '### Answer:', '--batch-size', '2', '--group-by-length', '--seed', '1'],
      jsonl(texts),
    );
    expect(out.batches.map((b) => (b.lines as number[]).sort())).toEqual([
      [2, 4],
      [1, 3],
    ]);
  });

  it('rejects a line that is not a {"text"} object with exit code 2', () => {
    const out = ftuneCollate(['--response-template', 'x'], '{"text": "ok"}\n{"prompt": "no"}\n');
    expect(out.status).toBe(2);
    expect(out.stderr).toBe('ftune: line 2: expected an object with a string "text"\n');
  });
});
