// `ftune ingest` end to end, as a real process: outputs, summary, exit codes.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'ftune-ingest-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ftune(args: string[]) {
  return spawnSync(process.execPath, [BIN, 'ingest', ...args], { encoding: 'utf8', cwd: ROOT });
}

describe('ftune ingest', () => {
  it('splits a file, prints a summary and exits 0 even with rejects', () => {
    const file = join(tmp, 'data.jsonl');
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ prompt: `Review ${i}: fine film`, completion: i % 2 ? ' positive' : ' negative' }),
    );
    fs.writeFileSync(file, [...lines, 'not json', lines[0]].join('\n'));
    const out = join(tmp, 'out');
    const r = ftune([file, '--out', out, '--seed', '3']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ingested data\.jsonl \(jsonl, prompt-completion\): 32 records/);
    expect(r.stdout).toMatch(/accepted {2}30: train 24 · validation [234] · test [234]/);
    expect(r.stdout).toMatch(/rejected {2}2: (duplicate 1, not-json 1|not-json 1, duplicate 1)/);
    expect(r.stdout).toMatch(/tokens {4}min \d+ · median \d+ · p95 \d+ · max \d+ \(gpt2\)/);
    const manifest = JSON.parse(fs.readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      tokens: { min: number; max: number };
    };
    // "Review 0: fine film\n### Answer: negative" is 10 GPT-2 tokens; two-digit numbers add none
    expect([manifest.tokens.min, manifest.tokens.max]).toEqual([10, 10]);
    for (const f of ['train.jsonl', 'validation.jsonl', 'test.jsonl', 'rejected.jsonl'])
      expect(fs.existsSync(join(out, f))).toBe(true);
  });

  it('exits non-zero with one clear line when the file cannot be read or every record is rejected', () => {
    const missing = ftune([join(tmp, 'nope.jsonl'), '--out', join(tmp, 'o1')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^ftune: cannot read .*nope\.jsonl: ENOENT/);
    const bad = join(tmp, 'bad.jsonl');
    fs.writeFileSync(bad, 'x\ny\n');
    const rejected = ftune([bad, '--out', join(tmp, 'o2'), '--tokenizer', 'none']);
    expect(rejected.status).toBe(2);
    expect(rejected.stderr).toMatch(/^ftune: every record of .*bad\.jsonl was rejected \(2\)/);
    const usage = ftune([bad, '--out', join(tmp, 'o3'), '--split', '0.5,0.5']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--split must be three/);
  });
});
