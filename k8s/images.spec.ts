// The container images are defined here but no Docker engine runs in CI: each Dockerfile is linted
// with hadolint and checked against the workspace (the paths it copies and runs exist, the commands
// the Helm chart passes to it are commands of the CLI).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { named, render, ROOT } from './render';

const IMAGES = ['services.Dockerfile', 'train-gpu.Dockerfile'];
const hadolint = () =>
  execFileSync('node', [join(ROOT, 'tools', 'hadolint', 'ensure-hadolint.js')], { encoding: 'utf8' }).trim();

/** Instructions of a Dockerfile with line continuations joined. */
function instructions(file: string): Array<{ op: string; args: string }> {
  const text = readFileSync(join(ROOT, 'k8s', 'images', file), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe.each(IMAGES)('%s', (file) => {
  const ins = instructions(file);

  it('passes hadolint', () => {
    const r = spawnSync(hadolint(), ['--no-color', join(ROOT, 'k8s', 'images', file)], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('copies only paths that exist in the workspace', () => {
    const copies = ins.filter((i) => i.op === 'COPY' && !i.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1))
        expect(existsSync(join(ROOT, src)), `${file}: COPY ${src}`).toBe(true);
    }
  });

  it('runs as a non-root user with the CLI as entrypoint', () => {
    const user = ins.filter((i) => i.op === 'USER').pop();
    expect(user?.args).toBe('10001:10001');
    const entry = JSON.parse(ins.filter((i) => i.op === 'ENTRYPOINT').pop()?.args ?? '[]') as string[];
    expect(entry).toEqual(['node', '/app/apps/cli/bin/ftune.js']);
    expect(existsSync(join(ROOT, 'apps/cli/bin/ftune.js'))).toBe(true);
  });
});

describe('images and chart agree', () => {
  const cliHelp = (cmd: string) =>
    spawnSync('node', [join(ROOT, 'apps/cli/bin/ftune.js'), cmd, '--help'], { encoding: 'utf8' });

  it('the service args and the training Job args are CLI commands with those options', () => {
    const objs = render();
    const dep = named(objs, 'Deployment', '-ingest') as unknown as {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    const args = dep.spec.template.spec.containers[0].args;
    expect(args.slice(0, 2)).toEqual(['serve', '--service']);
    const serve = cliHelp('serve');
    expect(serve.status).toBe(0);
    expect(serve.stdout).toContain('--service');
    expect(serve.stdout).toContain('--port');
    const job = parseYaml(named(objs, 'ConfigMap', '-train-job').data?.['train-job.yaml'] ?? '') as {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    const jobArgs = job.spec.template.spec.containers[0].args;
    expect(jobArgs[0]).toBe('train-job');
    const trainJob = cliHelp('train-job');
    expect(trainJob.status).toBe(0);
    for (const flag of jobArgs.filter((a) => a.startsWith('--'))) expect(trainJob.stdout).toContain(flag);
  });

  it('the GPU check script the GPU image documents exists', () => {
    expect(readFileSync(join(ROOT, 'k8s/images/train-gpu.Dockerfile'), 'utf8')).toContain(
      'tools/gpu-check/run.sh',
    );
    expect(existsSync(join(ROOT, 'tools/gpu-check/run.sh'))).toBe(true);
  });
});
