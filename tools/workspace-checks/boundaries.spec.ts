// Proves that the module-boundary lint rule still fails on a deliberately wrong fixture
// (a lint rule that silently stops running would otherwise go unnoticed).
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

describe('module boundaries', () => {
  it('lint rejects a domain lib importing generated code', () => {
    // make sure the Nx project graph exists: without it the rule is skipped
    execFileSync('npx', ['nx', 'show', 'projects'], { cwd: root, stdio: 'pipe' });
    const r = spawnSync(
      'npx',
      ['eslint', '--no-ignore', '--no-warn-ignored', 'tools/lint-fixtures/boundary/src/bad.ts'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('@nx/enforce-module-boundaries');
    expect(r.stdout).toMatch(/type:domain/);
  });

  it('lint accepts the same import from an app', () => {
    const r = spawnSync('npx', ['eslint', 'apps/cli/src/program.ts'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
  });
});
