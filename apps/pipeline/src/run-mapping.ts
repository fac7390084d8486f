// Run records (@ftune/pipeline's read model) as RunService messages.
import type { RunRecord, RunStatus, StageRecord, StageStatusName } from '@ftune/pipeline';
import { pipeline } from '@ftune/proto';
import { toTrainingProgress } from '@ftune/train-jobs';
import { toTimestamp } from '@ftune/transport';

const { RunState, Stage, StageState } = pipeline;

const RUN_STATES: Record<RunStatus, pipeline.RunState> = {
  pending: RunState.RUN_STATE_PENDING,
  running: RunState.RUN_STATE_RUNNING,
  succeeded: RunState.RUN_STATE_SUCCEEDED,
  failed: RunState.RUN_STATE_FAILED,
  cancelled: RunState.RUN_STATE_CANCELLED,
};
const STAGES: Record<string, pipeline.Stage> = {
  ingest: Stage.STAGE_INGEST,
  tokenize: Stage.STAGE_TOKENIZE,
  train: Stage.STAGE_TRAIN,
  evaluate: Stage.STAGE_EVALUATE,
  audit: Stage.STAGE_AUDIT,
};
const STAGE_STATES: Record<StageStatusName, pipeline.StageState> = {
  pending: StageState.STAGE_STATE_PENDING,
  running: StageState.STAGE_STATE_RUNNING,
  succeeded: StageState.STAGE_STATE_SUCCEEDED,
  failed: StageState.STAGE_STATE_FAILED,
  skipped: StageState.STAGE_STATE_SKIPPED,
  cancelled: StageState.STAGE_STATE_CANCELLED,
};

export function runStateOf(state: pipeline.RunState): RunStatus | undefined {
  return (Object.keys(RUN_STATES) as RunStatus[]).find((k) => RUN_STATES[k] === state);
}

export function toStageStatus(s: StageRecord): pipeline.StageStatus {
  return {
    stage: STAGES[s.stage],
    state: STAGE_STATES[s.state],
    startedAt: toTimestamp(s.startedAt),
    finishedAt: toTimestamp(s.finishedAt),
    artifactPath: s.artifactPath,
    error: s.error,
  };
}

export function toRun(r: RunRecord): pipeline.Run {
  return {
    runId: r.runId,
    name: r.name,
    state: RUN_STATES[r.state],
    stages: r.stages.map(toStageStatus),
    createdAt: toTimestamp(r.createdAt),
    updatedAt: toTimestamp(r.updatedAt),
    finishedAt: toTimestamp(r.finishedAt),
    runDir: `runs/${r.runId}`,
    failureReason: r.failureReason,
    failedStage: r.failedStage ? STAGES[r.failedStage] : Stage.STAGE_UNSPECIFIED,
    trainingProgress: r.progress && toTrainingProgress(r.progress),
    result: r.result && {
      modelDir: r.result.modelDir,
      reportPath: r.result.reportPath,
      metrics: r.result.metrics,
      auditPassed: r.result.auditPassed,
      auditReasons: r.result.auditReasons,
    },
  };
}
