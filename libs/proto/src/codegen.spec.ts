// The generated code is what buf and ts-proto make of proto/ today (CI fails on drift), and the
// contracts pass buf lint (documented fields, versioned packages) and buf format.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const buf = join(root, 'node_modules/.bin/buf');
const committed = join(root, 'libs/proto/src/gen');

function runBuf(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(buf, args, { cwd: root, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('proto/ and libs/proto/src/gen', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ftune-codegen-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('buf lint passes', () => {
    const r = runBuf(['lint']);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('the .proto files are buf-formatted', () => {
    const r = runBuf(['format', '--diff', '--exit-code', 'proto']);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('the committed generated code is what `npm run codegen` produces (no drift)', () => {
    const r = runBuf(['generate', '--output', scratch]);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
    const fresh = files(join(scratch, 'libs/proto/src/gen'));
    const have = files(committed);
    expect(fresh.size).toBeGreaterThan(0);
    const stale = [...new Set([...fresh.keys(), ...have.keys()])]
      .filter((f) => fresh.get(f) !== have.get(f))
      .sort();
    expect(stale, `regenerate with \`npm run codegen\`: ${stale.join(', ')}`).toEqual([]);
  });
});
