import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactStore, resolveInside } from './index';

const fresh = () => new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-store-')));

describe('artifact store paths', () => {
  it('refuses paths that escape the root', () => {
    const root = '/srv/store';
    expect(() => resolveInside(root, '../etc/passwd')).toThrow(/'\.\.'/);
    expect(() => resolveInside(root, 'runs/../../x')).toThrow(/'\.\.'/);
    expect(() => resolveInside(root, '/etc/passwd')).toThrow(/relative/);
    expect(() => resolveInside(root, 'a\0b')).toThrow(/NUL/);
    expect(resolveInside(root, 'runs/r1/ingest/train.jsonl')).toBe('/srv/store/runs/r1/ingest/train.jsonl');
  });

  it('refuses a symbolic link inside the store that leads out of it, on read and on write', () => {
    const s = fresh();
    const outside = mkdtempSync(join(tmpdir(), 'ftune-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret\n');
    mkdirSync(s.path('datasets'), { recursive: true });
    symlinkSync(outside, join(s.root, 'datasets', 'evil'));
    symlinkSync(join(outside, 'secret.txt'), join(s.root, 'datasets', 'file-link'));
    symlinkSync(join(outside, 'nothing-here'), join(s.root, 'datasets', 'dangling'));
    expect(() => s.path('datasets/evil/secret.txt')).toThrow(/leads out of the artifact store/);
    expect(() => s.path('datasets/file-link')).toThrow(/leads out of the artifact store/);
    expect(() => s.writeJson('datasets/evil/new/x.json', {})).toThrow(/leads out of the artifact store/);
    expect(() => s.writeJson('datasets/dangling', {})).toThrow(/link to a missing target/);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    // a link that stays inside the store is followed as usual
    s.writeJson('runs/r1/ingest/manifest.json', { ok: true });
    symlinkSync(join(s.root, 'runs', 'r1'), join(s.root, 'datasets', 'r1-link'));
    expect(s.readJson('datasets/r1-link/ingest/manifest.json')).toEqual({ ok: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('refuses run ids that are not one safe segment', () => {
    const s = fresh();
    expect(() => s.stageDir('../x', 'ingest')).toThrow(/invalid run id/);
    expect(() => s.stageDir('a/b', 'ingest')).toThrow(/invalid run id/);
    expect(s.stageDir('run-1', 'ingest')).toBe('runs/run-1/ingest');
  });
});

describe('stage completion', () => {
  it('records completion atomically and reads it back', () => {
    const s = fresh();
    expect(s.completion('r1', 'ingest')).toBeUndefined();
    s.markComplete('r1', 'ingest', { datasetDir: 'runs/r1/ingest' });
    expect(s.completion('r1', 'ingest')?.outputs).toEqual({ datasetDir: 'runs/r1/ingest' });
    // no temporary files are left behind
    expect(readdirSync(s.path('runs/r1/ingest'))).toEqual(['_complete.json']);
    expect(s.listRuns()).toEqual(['r1']);
    s.resetStage('r1', 'ingest');
    expect(s.completion('r1', 'ingest')).toBeUndefined();
  });
});
