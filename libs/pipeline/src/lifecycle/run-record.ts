// The run record: one per run, folded from the run's events by `foldRunEvent` — a pure function, so the
// pipeline service's read model (./run-records.ts), the embedded runner (../runner.ts) and the report
// see the same record for the same events. Folding is idempotent: a redelivered event changes nothing,
// and a finished run stays finished. The stage list and its order come from the chain (./chain.ts).
import type { Envelope, EventByTopic, StageName, Topic, TrainingProgress } from '@ftune/contracts';
import { Topics } from '@ftune/contracts';
import { isStageName, STAGE_NAMES, transitionOf } from './chain';

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StageStatusName = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface StageRecord {
  stage: StageName;
  state: StageStatusName;
  startedAt?: string;
  finishedAt?: string;
  artifactPath: string;
  error: string;
}

/** A training.progress.v1 report without its envelope, with the time it was made. */
export type RunProgress = Omit<TrainingProgress, keyof Envelope> & { reportedAt: string };

/** The output event of each finished stage, without its envelope. */
export type StageOutputs = Partial<Record<StageName, Record<string, unknown>>>;

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
  /** When the broker took the run's run.requested.v1 (until then StartRun's outbox sends it again). */
  requestedAt?: string;
  progress?: RunProgress;
  /** What each finished stage emitted (counts, tokens, steps, evaluation summary, audit gate …). */
  outputs?: StageOutputs;
  result?: {
    modelDir: string;
    reportPath: string;
    metrics: Record<string, number>;
    auditPassed: boolean;
    auditReasons: string[];
  };
}

export type RunChange = { kind: 'stage'; stage: StageRecord } | { kind: 'progress' } | { kind: 'run' };

const FINISHED: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isFinished(record: RunRecord): boolean {
  return FINISHED.includes(record.state);
}

export function newRunRecord(runId: string, name: string, at = new Date().toISOString()): RunRecord {
  return {
    runId,
    name,
    state: 'pending',
    stages: STAGE_NAMES.map((stage) => ({ stage, state: 'pending', artifactPath: '', error: '' })),
    createdAt: at,
    updatedAt: at,
    failureReason: '',
  };
}

/** The figures of a training.progress.v1 event as a RunProgress. */
export function progressOf(event: TrainingProgress): RunProgress {
  const { runId: _r, eventId: _e, occurredAt, ...figures } = event;
  return { ...figures, reportedAt: occurredAt };
}

export interface Folded {
  /** The record after the event: the same object when nothing changed, else a new one. */
  record: RunRecord;
  /** What changed (empty when the event changed nothing). */
  changes: RunChange[];
}

/** Applies one event to a record, without touching the record given. */
export function foldRunEvent<T extends Topic>(record: RunRecord, topic: T, event: EventByTopic[T]): Folded {
  // A finished run stays finished, but the read model folds each topic on its own: a succeeded run may
  // still hear the output event of one of its stages after run.completed (after a restart of the
  // service, say), and only records that stage as succeeded.
  const late = isFinished(record);
  if (late && (record.state !== 'succeeded' || !transitionOf(topic).done)) return { record, changes: [] };
  const next = structuredClone(record);
  const changes = late ? stageDone(next, topic, event) : apply(next, topic, event);
  return changes.length > 0 ? { record: next, changes } : { record, changes };
}

/** Cancels an unfinished run: its running and pending stages end as cancelled. */
export function cancelRunRecord(record: RunRecord, reason: string, at = new Date().toISOString()): Folded {
  if (isFinished(record)) return { record, changes: [] };
  const next = structuredClone(record);
  const changed = next.stages.filter((s) => s.state === 'running' || s.state === 'pending');
  finish(next, 'cancelled', at, reason);
  next.updatedAt = at;
  return {
    record: next,
    changes: [...changed.map((s) => ({ kind: 'stage' as const, stage: { ...s } })), { kind: 'run' as const }],
  };
}

function envelopeless(event: object): Record<string, unknown> {
  const { runId: _r, eventId: _e, occurredAt: _o, ...rest } = event as Envelope & Record<string, unknown>;
  return rest;
}

function apply<T extends Topic>(record: RunRecord, topic: T, event: EventByTopic[T]): RunChange[] {
  const at = event.occurredAt;
  const changes: RunChange[] = [];
  const stage = (name: StageName) => record.stages.find((s) => s.stage === name) as StageRecord;
  const t = transitionOf(topic);
  changes.push(...stageDone(record, topic, event));
  if (t.next) {
    const s = stage(t.next);
    if (s.state === 'pending') {
      s.state = 'running';
      s.startedAt = at;
      changes.push({ kind: 'stage', stage: { ...s } });
    }
    if (record.state === 'pending') record.state = 'running';
  }
  if (topic === Topics.runRequested && !record.requestedAt) {
    record.requestedAt = at;
    changes.push({ kind: 'run' });
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
    if (isStageName(e.stage)) {
      const s = stage(e.stage);
      s.state = 'failed';
      s.finishedAt = at;
      s.error = e.reason;
      record.failedStage = e.stage;
      changes.push({ kind: 'stage', stage: { ...s } });
    }
    finish(record, 'failed', at, e.reason);
    changes.push({ kind: 'run' });
  }
  if (changes.length > 0) record.updatedAt = at;
  return changes;
}

/** The stage whose output `topic` carries (if any) recorded as succeeded, with its artifact and output. */
function stageDone<T extends Topic>(record: RunRecord, topic: T, event: EventByTopic[T]): RunChange[] {
  const { done: name, artifact } = transitionOf(topic);
  if (!name) return [];
  const s = record.stages.find((x) => x.stage === name) as StageRecord;
  if (s.state === 'succeeded') return [];
  s.state = 'succeeded';
  s.startedAt ??= event.occurredAt;
  s.finishedAt = event.occurredAt;
  const path = artifact ? (event as unknown as Record<string, unknown>)[artifact] : undefined;
  s.artifactPath = typeof path === 'string' ? path : '';
  record.outputs = { ...record.outputs, [name]: envelopeless(event) };
  return [{ kind: 'stage', stage: { ...s } }];
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
