// Job records (@ftune/train-jobs) as TrainingService messages.
import { train } from '@ftune/proto';
import { toTrainingProgress, type JobRecord, type JobStatus } from '@ftune/train-jobs';
import { toTimestamp } from '@ftune/transport';

const STATES: Record<JobStatus, train.JobState> = {
  queued: train.JobState.JOB_STATE_QUEUED,
  running: train.JobState.JOB_STATE_RUNNING,
  succeeded: train.JobState.JOB_STATE_SUCCEEDED,
  failed: train.JobState.JOB_STATE_FAILED,
  cancelled: train.JobState.JOB_STATE_CANCELLED,
};

export function toJob(j: JobRecord): train.Job {
  return {
    jobId: j.jobId,
    runId: j.runId,
    state: STATES[j.state],
    attempt: j.attempt,
    progress: j.progress && toTrainingProgress(j.progress),
    checkpointDir: j.checkpointDir,
    modelDir: j.modelDir,
    metricsPath: j.metricsPath,
    error: j.error,
    createdAt: toTimestamp(j.createdAt),
    updatedAt: toTimestamp(j.updatedAt),
  };
}
