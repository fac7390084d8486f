// Proves that the module-boundary lint rule still fails on deliberately wrong fixtures, one for the
// type rule and one for the scope rule (a lint rule that silently stops running would otherwise go unnoticed).
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

/** Lints one fixture file (ignored by the normal lint run) with the Nx project graph in place. */
function lintFixture(file: string) {
  // make sure the Nx project graph exists: without it the rule is skipped
  execFileSync('npx', ['nx', 'show', 'projects'], { cwd: root, stdio: 'pipe' });
  return spawnSync('npx', ['eslint', '--no-ignore', '--no-warn-ignored', file], {
    cwd: root,
    encoding: 'utf8',
  });
}

describe('module boundaries', () => {
  it('lint rejects a domain lib importing generated code', () => {
    const r = lintFixture('tools/lint-fixtures/boundary/src/bad.ts');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('@nx/enforce-module-boundaries');
    expect(r.stdout).toMatch(/type:domain/);
  });

  it('lint rejects a data-layer domain lib importing the pipeline (scope rule; the type rule allows it)', () => {
    const r = lintFixture('tools/lint-fixtures/scope/src/bad.ts');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('@nx/enforce-module-boundaries');
    expect(r.stdout).toMatch(/scope:data/);
    expect(r.stdout).not.toMatch(/type:domain/);
  });

  it('lint accepts the same import from an app', () => {
    const r = spawnSync('npx', ['eslint', 'apps/cli/src/program.ts'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
  });
});
