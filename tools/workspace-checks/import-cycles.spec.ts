// No import cycle anywhere in the workspace, and the check still finds one in a deliberate fixture
// (tools/lint-fixtures/cycle: a.ts and b.ts import each other).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph } from './import-cycles';

const root = resolve(__dirname, '../..');
const script = 'tools/workspace-checks/import-cycles.ts';
const check = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8' });

describe('import cycles', () => {
  it('there are none in apps, libs, tests and tools', () => {
    const r = check();
    expect(r.stdout).toContain('0 import cycle(s)');
    expect(r.status, r.stdout).toBe(0);
  }, 120_000);

  it('the check fails on the fixture and names both files', () => {
    const r = check('tools/lint-fixtures/cycle');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('tools/lint-fixtures/cycle/a.ts');
    expect(r.stdout).toContain('tools/lint-fixtures/cycle/b.ts');
  }, 120_000);

  it('follows workspace packages through their package.json', () => {
    const graph = importGraph(root, [resolve(root, 'apps/cli/src/commands')]);
    const serve = graph.get(resolve(root, 'apps/cli/src/commands/serve.ts')) ?? [];
    expect(serve).toContain(resolve(root, 'libs/transport/src/config.ts'));
    expect(
      findCycles(
        new Map([
          ['x', ['y']],
          ['y', ['z']],
          ['z', ['x']],
          ['w', ['x']],
        ]),
      ),
    ).toEqual([['x', 'y', 'z']]);
  });
});
