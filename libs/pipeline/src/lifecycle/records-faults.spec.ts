// The run records under faults, on real files: a failed write changes nothing (the redelivered event
// saves it), a corrupt record file is moved aside with a warning instead of stopping the service, and
// of two StartRuns that create one run id exactly one wins.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEnvelope, Topics } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { newRunRecord } from './run-record';
import { RunRecords } from './run-records';

const newStore = () => new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-records-')));

describe('run records under faults', () => {
  it('keep the record in memory as it was when its write fails, and save it on redelivery', () => {
    const store = newStore();
    const records = new RunRecords(store);
    expect(records.create(newRunRecord('r1', 'demo'))).toBe(true);
    // a folder with content where the record file goes: the rename of the new version fails
    const file = store.path('runs/r1/_record.json');
    rmSync(file);
    mkdirSync(join(file, 'blocker'), { recursive: true });
    const requested = { ...newEnvelope('r1'), config: {} };
    expect(() => records.apply(Topics.runRequested, requested)).toThrow();
    expect(records.get('r1')?.state).toBe('pending');
    rmSync(file, { recursive: true });
    records.apply(Topics.runRequested, requested); // the redelivered event
    expect(records.get('r1')?.state).toBe('running');
    expect(new RunRecords(store).get('r1')?.state).toBe('running');
  });

  it('move a corrupt record file aside with a warning and start anyway', () => {
    const store = newStore();
    const good = new RunRecords(store);
    good.create(newRunRecord('ok', 'fine'));
    mkdirSync(store.path('runs/bad'), { recursive: true });
    writeFileSync(store.path('runs/bad/_record.json'), '{"runId": "bad", "stag');
    const warnings: Array<Record<string, unknown>> = [];
    const records = new RunRecords(store, (_m, fields) => warnings.push(fields));
    expect(records.get('ok')?.name).toBe('fine');
    expect(records.get('bad')).toBeUndefined();
    expect(warnings).toEqual([expect.objectContaining({ runId: 'bad' })]);
    expect(readdirSync(store.path('runs/bad')).some((f) => f.startsWith('_record.json.corrupt-'))).toBe(true);
    // the run's next event rebuilds its record
    records.apply(Topics.runRequested, { ...newEnvelope('bad'), config: {} });
    expect(records.get('bad')?.state).toBe('running');
  });

  it('create a run exclusively: of two services creating one id, one wins and both then see it', () => {
    const store = newStore();
    const a = new RunRecords(store);
    const b = new RunRecords(store);
    expect(a.create(newRunRecord('r2', 'first'))).toBe(true);
    expect(b.create(newRunRecord('r2', 'second'))).toBe(false);
    expect(b.get('r2')?.name).toBe('first');
  });
});
