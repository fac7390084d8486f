import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEnvelope, Topics } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { runStage, type Stage, type StageContext } from './stage';

function ingestStage(calls: { n: number }): Stage<typeof Topics.runRequested, typeof Topics.datasetIngested> {
  return {
    name: 'ingest',
    consumes: Topics.runRequested,
    emits: Topics.datasetIngested,
    async handle(e, ctx) {
      calls.n += 1;
      const dir = ctx.store.stageDir(e.runId, 'ingest');
      writeFileSync(join(ctx.store.ensureDir(dir), 'train.jsonl'), '{}\n');
      return {
        ...newEnvelope(e.runId),
        datasetDir: dir,
        datasetHash: 'h',
        counts: { train: 1, validation: 0, test: 0, rejected: 0 },
      };
    },
  };
}

describe('runStage', () => {
  it('does the work once and re-emits the recorded event on redelivery', async () => {
    const ctx: StageContext = {
      store: new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-stage-'))),
      log: () => undefined,
    };
    const calls = { n: 0 };
    const req = { ...newEnvelope('r1'), config: {} };
    const first = await runStage(ingestStage(calls), req, ctx);
    const second = await runStage(ingestStage(calls), req, ctx);
    expect(calls.n).toBe(1);
    expect(first.reused).toBe(false);
    expect(second.reused).toBe(true);
    expect(second.event.datasetDir).toBe(first.event.datasetDir);
    expect(second.event.eventId).not.toBe(first.event.eventId);
  });

  it('clears an incomplete stage folder before redoing it', async () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-stage-')));
    writeFileSync(join(store.ensureDir('runs/r2/ingest'), 'partial.tmp'), 'x');
    const calls = { n: 0 };
    await runStage(ingestStage(calls), { ...newEnvelope('r2'), config: {} }, { store, log: () => undefined });
    expect(store.exists('runs/r2/ingest/partial.tmp')).toBe(false);
    expect(calls.n).toBe(1);
  });

  it('refuses an invalid input event before doing anything', async () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-stage-')));
    const calls = { n: 0 };
    await expect(
      runStage(ingestStage(calls), { runId: 'r3' } as never, { store, log: () => undefined }),
    ).rejects.toThrow(/invalid run\.requested\.v1 event/);
    expect(calls.n).toBe(0);
  });
});
