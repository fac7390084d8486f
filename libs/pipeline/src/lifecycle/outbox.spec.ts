// StartRun's outbox on real files: a run whose run.requested the broker refused stays waiting for it
// and is sent again until the broker takes it; the event coming back marks the run requested too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEnvelope, Topics, type Topic } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { runConfigPath } from '../stages/common';
import { awaitsRequest, flushOutbox, requestRun } from './outbox';
import { newRunId } from './run-id';
import { newRunRecord } from './run-record';
import { RunRecords } from './run-records';

describe('the StartRun outbox', () => {
  it('sends run.requested again until the broker takes it', async () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-outbox-')));
    const records = new RunRecords(store);
    store.writeJson(runConfigPath('r1'), { name: 'demo', runId: 'r1' });
    records.create(newRunRecord('r1', 'demo'));
    const sent: Topic[] = [];
    let brokerUp = false;
    const publish = async (topic: Topic) => {
      if (!brokerUp) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
      sent.push(topic);
    };
    await expect(requestRun(records, store, publish, 'r1')).rejects.toThrow(/ECONNREFUSED/);
    expect(awaitsRequest(records.get('r1')!)).toBe(true);
    const warnings: unknown[] = [];
    expect(await flushOutbox(records, store, publish, (_m, f) => warnings.push(f))).toBe(0);
    expect(warnings).toHaveLength(1);
    // after a restart the outbox still knows the run
    const restarted = new RunRecords(store);
    brokerUp = true;
    expect(await flushOutbox(restarted, store, publish, () => undefined)).toBe(1);
    expect(sent).toEqual([Topics.runRequested]);
    expect(awaitsRequest(restarted.get('r1')!)).toBe(false);
    expect(await flushOutbox(restarted, store, publish, () => undefined)).toBe(0);
  });

  it('counts a run requested once its run.requested comes back from the broker', () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-outbox-')));
    const records = new RunRecords(store);
    records.create(newRunRecord('r2', ''));
    records.apply(Topics.runRequested, { ...newEnvelope('r2'), config: {} });
    expect(records.get('r2')?.requestedAt).toBeTruthy();
  });

  it('gives runs started in the same millisecond their own default ids', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const ids = new Set(Array.from({ length: 50 }, () => newRunId('demo run', at)));
    expect(ids.size).toBe(50);
    expect([...ids][0]).toMatch(/^demo-run-20260102-030405678Z-[0-9a-f]{6}$/);
  });
});
