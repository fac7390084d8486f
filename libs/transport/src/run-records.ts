// The pipeline service's read model: one record per run, folded from the run's Kafka events and kept in
// the artifact store (runs/<id>/_record.json, written atomically), so a restarted service rebuilds every
// record from the store and the events it has not yet consumed. Folding is idempotent: a redelivered
// event changes nothing, and a finished run stays finished.
import { EventEmitter } from 'node:events';
import { Topics, type EventByTopic, type StageName, type Topic } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';
import { checkSegment } from '@ftune/storage';
import { progressOf, type JobProgress } from './train-jobs';

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StageStatusName = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export const STAGE_ORDER: readonly StageName[] = ['ingest', 'tokenize', 'train', 'evaluate', 'audit'];

export interface StageRecord {
  stage: StageName;
  state: StageStatusName;
  startedAt?: string;
  finishedAt?: string;
  artifactPath: string;
  error: string;
}

export interface RunRecord {
  runId: string;
  name: string;
  state: RunStatus;
  stages: StageRecord[];
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  failureReason: string;
  failedStage?: StageName;
  progress?: JobProgress;
  result?: {
    modelDir: string;
    reportPath: string;
    metrics: Record<string, number>;
    auditPassed: boolean;
    auditReasons: string[];
  };
}

export type RunChange = { kind: 'stage'; stage: StageRecord } | { kind: 'progress' } | { kind: 'run' };

const recordPath = (runId: string) => `runs/${checkSegment(runId)}/_record.json`;
const FINISHED: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isFinished(record: RunRecord): boolean {
  return FINISHED.includes(record.state);
}

export function newRunRecord(runId: string, name: string, at = new Date().toISOString()): RunRecord {
  return {
    runId,
    name,
    state: 'pending',
    stages: STAGE_ORDER.map((stage) => ({ stage, state: 'pending', artifactPath: '', error: '' })),
    createdAt: at,
    updatedAt: at,
    failureReason: '',
  };
}

/** Which stage an event finishes and which it starts. */
const TRANSITIONS: Partial<Record<Topic, { done?: StageName; next?: StageName }>> = {
  [Topics.runRequested]: { next: 'ingest' },
  [Topics.datasetIngested]: { done: 'ingest', next: 'tokenize' },
  [Topics.datasetTokenized]: { done: 'tokenize', next: 'train' },
  [Topics.modelTrained]: { done: 'train', next: 'evaluate' },
  [Topics.modelEvaluated]: { done: 'evaluate', next: 'audit' },
  [Topics.modelAudited]: { done: 'audit' },
};

function artifactOf(topic: Topic, event: Record<string, unknown>): string {
  const key = {
    [Topics.datasetIngested]: 'datasetDir',
    [Topics.datasetTokenized]: 'tokenizedDir',
    [Topics.modelTrained]: 'modelDir',
    [Topics.modelEvaluated]: 'evalPath',
    [Topics.modelAudited]: 'auditPath',
  }[topic as string];
  const value = key ? event[key] : undefined;
  return typeof value === 'string' ? value : '';
}

/** Applies one event to a record; returns the changes (empty when the event changed nothing). */
export function foldEvent<T extends Topic>(record: RunRecord, topic: T, event: EventByTopic[T]): RunChange[] {
  const at = event.occurredAt;
  const changes: RunChange[] = [];
  const stage = (name: StageName) => record.stages.find((s) => s.stage === name) as StageRecord;
  if (isFinished(record)) return changes;
  const t = TRANSITIONS[topic];
  if (t?.done) {
    const s = stage(t.done);
    if (s.state !== 'succeeded') {
      s.state = 'succeeded';
      s.startedAt ??= at;
      s.finishedAt = at;
      s.artifactPath = artifactOf(topic, event as unknown as Record<string, unknown>);
      changes.push({ kind: 'stage', stage: { ...s } });
    }
  }
  if (t?.next) {
    const s = stage(t.next);
    if (s.state === 'pending') {
      s.state = 'running';
      s.startedAt = at;
      changes.push({ kind: 'stage', stage: { ...s } });
    }
    if (record.state === 'pending') record.state = 'running';
  }
  if (topic === Topics.modelTrained) {
    resultOf(record).modelDir = (event as EventByTopic[typeof Topics.modelTrained]).modelDir;
  }
  if (topic === Topics.modelEvaluated) {
    resultOf(record).metrics = { ...(event as EventByTopic[typeof Topics.modelEvaluated]).summary };
  }
  if (topic === Topics.modelAudited) {
    const e = event as EventByTopic[typeof Topics.modelAudited];
    resultOf(record).auditPassed = e.passed;
    resultOf(record).auditReasons = e.reasons;
  }
  if (topic === Topics.trainingProgress) {
    const progress = progressOf(event as EventByTopic[typeof Topics.trainingProgress]);
    if (!record.progress || progress.step >= record.progress.step) {
      record.progress = progress;
      changes.push({ kind: 'progress' });
    }
  }
  if (topic === Topics.runCompleted) {
    const e = event as EventByTopic[typeof Topics.runCompleted];
    if (record.result && e.reportPath) record.result.reportPath = e.reportPath;
    if (e.status === 'succeeded') {
      finish(record, 'succeeded', at);
    } else {
      finish(record, 'failed', at, 'the run completed with status failed');
    }
    changes.push({ kind: 'run' });
  }
  if (topic === Topics.runFailed) {
    const e = event as EventByTopic[typeof Topics.runFailed];
    const failed = STAGE_ORDER.find((s) => s === e.stage);
    if (failed) {
      const s = stage(failed);
      s.state = 'failed';
      s.finishedAt = at;
      s.error = e.reason;
      record.failedStage = failed;
      changes.push({ kind: 'stage', stage: { ...s } });
    }
    finish(record, 'failed', at, e.reason);
    changes.push({ kind: 'run' });
  }
  if (changes.length > 0) record.updatedAt = at;
  return changes;
}

function resultOf(record: RunRecord): NonNullable<RunRecord['result']> {
  record.result ??= { modelDir: '', reportPath: '', metrics: {}, auditPassed: false, auditReasons: [] };
  return record.result;
}

function finish(record: RunRecord, state: RunStatus, at: string, reason = ''): void {
  record.state = state;
  record.finishedAt = at;
  if (reason) record.failureReason = reason;
  if (state !== 'succeeded') {
    for (const s of record.stages) {
      if (s.state === 'running' || s.state === 'pending')
        s.state = state === 'cancelled' ? 'cancelled' : s.state === 'running' ? 'failed' : 'pending';
    }
  }
}

export function cancelRecord(record: RunRecord, reason: string, at = new Date().toISOString()): RunChange[] {
  if (isFinished(record)) return [];
  const changed = record.stages.filter((s) => s.state === 'running' || s.state === 'pending');
  finish(record, 'cancelled', at, reason);
  record.updatedAt = at;
  return [...changed.map((s) => ({ kind: 'stage' as const, stage: { ...s } })), { kind: 'run' as const }];
}

/** The records of every run in the store, with change notifications for watchers. */
export class RunRecords {
  private readonly records = new Map<string, RunRecord>();
  readonly changes = new EventEmitter();

  constructor(private readonly store: ArtifactStore) {
    this.changes.setMaxListeners(0);
    for (const runId of store.listRuns()) {
      const record = store.tryReadJson<RunRecord>(recordPath(runId));
      if (record) this.records.set(runId, record);
    }
  }

  get(runId: string): RunRecord | undefined {
    return this.records.get(runId);
  }

  list(): RunRecord[] {
    return [...this.records.values()].sort((a, b) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.runId < b.runId ? 1 : -1,
    );
  }

  /** Records a new run; false when the id exists (the record is left as it is). */
  create(record: RunRecord): boolean {
    if (this.records.has(record.runId) || this.store.exists(recordPath(record.runId))) return false;
    this.save(record);
    return true;
  }

  apply<T extends Topic>(topic: T, event: EventByTopic[T]): void {
    const record = this.records.get(event.runId) ?? newRunRecord(event.runId, '', event.occurredAt);
    const changes = foldEvent(record, topic, event);
    if (changes.length === 0 && this.records.has(event.runId)) return;
    this.save(record, changes);
  }

  cancel(runId: string, reason: string): RunRecord | undefined {
    const record = this.records.get(runId);
    if (!record) return undefined;
    this.save(record, cancelRecord(record, reason));
    return record;
  }

  private save(record: RunRecord, changes: RunChange[] = []): void {
    this.store.writeJson(recordPath(record.runId), record);
    this.records.set(record.runId, record);
    for (const change of changes) this.changes.emit(record.runId, record, change);
  }
}
