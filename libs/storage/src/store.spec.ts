import { mkdtempSync, readdirSync } from 'node:fs';
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
