// A stage never runs twice at once: two hosts running one (run, stage) through runStage — the second
// waits for the first's lease and then re-emits its output; a lease whose holder stopped renewing it
// is taken over.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEnvelope, Topics } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { runStage, type Stage, type StageContext } from '../stage';
import { acquireLease, leasePath } from './lease';

type Ingest = Stage<typeof Topics.runRequested, typeof Topics.datasetIngested>;

function slowIngest(calls: { n: number; concurrent: number; most: number }): Ingest {
  return {
    name: 'ingest',
    consumes: Topics.runRequested,
    emits: Topics.datasetIngested,
    async handle(e, ctx) {
      calls.n += 1;
      calls.concurrent += 1;
      calls.most = Math.max(calls.most, calls.concurrent);
      await new Promise((r) => setTimeout(r, 300));
      calls.concurrent -= 1;
      return {
        ...newEnvelope(e.runId),
        datasetDir: ctx.store.stageDir(e.runId, 'ingest'),
        datasetHash: 'h',
        counts: { train: 1, validation: 0, test: 0, rejected: 0 },
      };
    },
  };
}

describe('stage leases', () => {
  it('let one of two hosts do a stage; the other waits and re-emits its output', async () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-lease-')));
    const calls = { n: 0, concurrent: 0, most: 0 };
    const stage = slowIngest(calls);
    const waits: string[] = [];
    const ctx = (): StageContext => ({ store, log: (m) => waits.push(m) });
    const event = { ...newEnvelope('r1'), config: {} };
    const [a, b] = await Promise.all([runStage(stage, event, ctx()), runStage(stage, event, ctx())]);
    expect(calls).toMatchObject({ n: 1, most: 1 });
    expect([a.reused, b.reused].sort()).toEqual([false, true]);
    expect(a.event.datasetHash).toBe(b.event.datasetHash);
    expect(waits.some((m) => /running elsewhere/.test(m))).toBe(true);
    expect(store.exists(leasePath('r1', 'ingest'))).toBe(false);
  });

  it('take over a lease its holder stopped renewing', async () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-lease-')));
    const file = store.path(leasePath('r1', 'train'));
    store.ensureDir('runs/r1');
    writeFileSync(file, JSON.stringify({ holder: 'a-dead-pod-1-x', expiresAt: Date.now() - 1 }));
    const lease = await acquireLease(store, 'r1', 'train', { pollMs: 20 });
    expect(lease.holder).not.toBe('a-dead-pod-1-x');
    // a live lease is not taken: the second caller waits until it is released
    let second = false;
    const waiting = acquireLease(store, 'r1', 'train', { pollMs: 20 }).then((l) => {
      second = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(second).toBe(false);
    lease.release();
    (await waiting).release();
    expect(second).toBe(true);
  });
});
