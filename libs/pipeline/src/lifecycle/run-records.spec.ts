import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEnvelope, Topics, type EventByTopic, type Topic } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { foldRunEvent, newRunRecord, type RunRecord } from './run-record';
import { RunRecords } from './run-records';

const env = (runId = 'r1') => newEnvelope(runId);

/** Folds one event into `r` in place (foldRunEvent itself returns a new record); answers the changes. */
function foldEvent<T extends Topic>(r: RunRecord, topic: T, event: EventByTopic[T]) {
  const { record, changes } = foldRunEvent(r, topic, event);
  Object.assign(r, record);
  return changes;
}

describe('run records folded from events', () => {
  it('follows the stages in order and ends with the run', () => {
    const r = newRunRecord('r1', 'demo');
    foldEvent(r, Topics.runRequested, { ...env(), config: {} });
    expect(r.state).toBe('running');
    expect(r.stages.map((s) => s.state)).toEqual(['running', 'pending', 'pending', 'pending', 'pending']);
    foldEvent(r, Topics.datasetIngested, {
      ...env(),
      datasetDir: 'runs/r1/ingest',
      datasetHash: 'h',
      counts: { train: 1, validation: 0, test: 0, rejected: 0 },
    });
    foldEvent(r, Topics.trainingProgress, {
      ...env(),
      step: 3,
      totalSteps: 10,
      epoch: 0.3,
      loss: 2,
      learningRate: 1e-4,
      tokensPerSecond: 100,
    });
    foldEvent(r, Topics.modelTrained, {
      ...env(),
      modelDir: 'runs/r1/train/model',
      metricsPath: 'm',
      steps: 10,
      finalLoss: 1,
    });
    expect(r.stages.map((s) => s.state)).toEqual(['succeeded', 'running', 'succeeded', 'running', 'pending']);
    expect(r.progress?.step).toBe(3);
    expect(r.result?.modelDir).toBe('runs/r1/train/model');
    foldEvent(r, Topics.runCompleted, { ...env(), status: 'succeeded', runDir: 'runs/r1' });
    expect(r.state).toBe('succeeded');
    // a finished run stays finished, whatever arrives late
    expect(foldEvent(r, Topics.runFailed, { ...env(), stage: 'audit', reason: 'late' })).toEqual([]);
    expect(r.state).toBe('succeeded');
  });

  it('records a stage output that arrives after run.completed, and nothing else', () => {
    const r = newRunRecord('r1', 'demo');
    foldEvent(r, Topics.runRequested, { ...env(), config: {} });
    foldEvent(r, Topics.runCompleted, { ...env(), status: 'succeeded', runDir: 'runs/r1' });
    const late = foldEvent(r, Topics.datasetTokenized, {
      ...env(),
      datasetDir: 'runs/r1/ingest',
      tokenizedDir: 'runs/r1/tokenize',
      tokens: 10,
    });
    expect(late).toHaveLength(1);
    expect(r.state).toBe('succeeded');
    expect(r.stages.map((s) => s.state)).toEqual(['running', 'succeeded', 'pending', 'pending', 'pending']);
    expect(foldEvent(r, Topics.trainingProgress, { ...env(), step: 1, totalSteps: 2, epoch: 0.5, loss: 1, learningRate: 1e-4, tokensPerSecond: 1 })).toEqual([]);
  });

  it('leaves the record it was given untouched', () => {
    const r = newRunRecord('r1', 'demo');
    const before = JSON.stringify(r);
    const { record, changes } = foldRunEvent(r, Topics.runRequested, { ...env(), config: {} });
    expect(changes.length).toBeGreaterThan(0);
    expect(record).not.toBe(r);
    expect(record.state).toBe('running');
    expect(JSON.stringify(r)).toBe(before);
  });

  it('is idempotent on redelivery and ignores older progress', () => {
    const r = newRunRecord('r1', '');
    const ingested = {
      ...env(),
      datasetDir: 'd',
      datasetHash: 'h',
      counts: { train: 1, validation: 0, test: 0, rejected: 0 },
    };
    expect(foldEvent(r, Topics.datasetIngested, ingested).length).toBeGreaterThan(0);
    expect(foldEvent(r, Topics.datasetIngested, ingested)).toEqual([]);
    foldEvent(r, Topics.trainingProgress, {
      ...env(),
      step: 5,
      totalSteps: 10,
      epoch: 0,
      loss: 1,
      learningRate: 0,
      tokensPerSecond: 0,
    });
    expect(
      foldEvent(r, Topics.trainingProgress, {
        ...env(),
        step: 4,
        totalSteps: 10,
        epoch: 0,
        loss: 9,
        learningRate: 0,
        tokensPerSecond: 0,
      }),
    ).toEqual([]);
    expect(r.progress?.loss).toBe(1);
  });

  it('marks the failed stage and the reason', () => {
    const r = newRunRecord('r1', '');
    foldEvent(r, Topics.runRequested, { ...env(), config: {} });
    foldEvent(r, Topics.runFailed, { ...env(), stage: 'ingest', reason: 'ingest: bad data' });
    expect(r).toMatchObject({ state: 'failed', failedStage: 'ingest', failureReason: 'ingest: bad data' });
    expect(r.stages[0]).toMatchObject({ state: 'failed', error: 'ingest: bad data' });
  });

  it('are rebuilt from the artifact store by a new instance', () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-records-')));
    const a = new RunRecords(store);
    expect(a.create(newRunRecord('r1', 'demo'))).toBe(true);
    a.apply(Topics.runRequested, { ...env(), config: {} });
    const b = new RunRecords(store);
    expect(b.get('r1')).toMatchObject({ name: 'demo', state: 'running' });
    expect(b.create(newRunRecord('r1', 'again'))).toBe(false);
    expect(b.cancel('r1', 'stop')?.state).toBe('cancelled');
  });
});
