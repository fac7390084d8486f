// Training jobs, outside any Kafka message: the train service records a job in the artifact store
// (runs/<id>/train-job.json, beside — not inside — the train stage folder, so a stage reset keeps it),
// starts it through a job runner and commits its input offset. The job (`ftune train-job --run-id X
// --resume`, a child process locally, a Kubernetes Job in the cluster) updates the record, emits
// training.progress.v1 and model.trained.v1, and resumes from its last checkpoint when restarted.
import type { DatasetTokenized } from '@ftune/contracts';
import type { RunProgress } from '@ftune/pipeline';
import { checkSegment, createExclusive, type ArtifactStore } from '@ftune/storage';
import { traceEnv } from '@ftune/telemetry';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A training.progress.v1 report without its envelope, with the time it was made. */
export type JobProgress = RunProgress;

export interface JobRecord {
  jobId: string;
  runId: string;
  state: JobStatus;
  /** Times the runner started the job. */
  attempt: number;
  /** Attempts the runner itself stopped (service shutdown): they do not count as failures. */
  runnerStops?: number;
  /** Process id of the running attempt (process runner). */
  pid?: number;
  /** W3C traceparent of the run's trace where the job was first started; every attempt continues it. */
  traceparent?: string;
  /** The event that asked for training. */
  input: DatasetTokenized;
  progress?: JobProgress;
  checkpointDir: string;
  modelDir: string;
  metricsPath: string;
  error: string;
  createdAt: string;
  updatedAt: string;
}

export const jobIdOf = (runId: string) => `train-${runId}`;
export const jobPath = (runId: string) => `runs/${checkSegment(runId)}/train-job.json`;
const FINAL: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const jobFinished = (job: JobRecord) => FINAL.includes(job.state);

export function runIdOfJob(jobId: string): string {
  const m = /^train-(.+)$/.exec(jobId);
  return checkSegment(m ? m[1] : jobId, 'job id');
}

export function readJob(store: ArtifactStore, runId: string): JobRecord | undefined {
  return store.tryReadJson<JobRecord>(jobPath(runId));
}

/** Applies `change` to the job's record and writes it atomically; returns the new record. */
export function updateJob(store: ArtifactStore, runId: string, change: (job: JobRecord) => void): JobRecord {
  const job = readJob(store, runId);
  if (!job) throw new Error(`no training job for run ${runId}`);
  change(job);
  job.updatedAt = new Date().toISOString();
  store.writeJson(jobPath(runId), job);
  return job;
}

/**
 * Marks an unfinished job cancelled (both runners do this before stopping the work); returns the job as
 * it was, or undefined when there is none or it already ended.
 */
export function cancelJobRecord(store: ArtifactStore, runId: string, reason: string): JobRecord | undefined {
  const job = readJob(store, runId);
  if (!job || jobFinished(job)) return undefined;
  updateJob(store, runId, (j) => {
    j.state = 'cancelled';
    j.error = reason;
  });
  return job;
}

/** Records a job for `input` unless the run has one (even one recorded at this moment by another host); returns it and whether it was created. */
export function recordJob(
  store: ArtifactStore,
  input: DatasetTokenized,
): { job: JobRecord; created: boolean } {
  const existing = readJob(store, input.runId);
  if (existing) return { job: existing, created: false };
  const now = new Date().toISOString();
  const job: JobRecord = {
    jobId: jobIdOf(input.runId),
    runId: input.runId,
    state: 'queued',
    attempt: 0,
    input,
    checkpointDir: '',
    modelDir: '',
    metricsPath: '',
    error: '',
    createdAt: now,
    updatedAt: now,
  };
  // recorded while the message that asked for training is handled: its trace, for every attempt
  const traceparent = traceEnv().TRACEPARENT;
  if (traceparent) job.traceparent = traceparent;
  // created exclusively: of two train-service replicas handling one event, one records the job
  if (!createExclusive(store.path(jobPath(input.runId)), JSON.stringify(job, null, 2) + '\n'))
    return { job: readJob(store, input.runId) ?? job, created: false };
  return { job, created: true };
}

/** Whether a process id is alive (signal 0). */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
