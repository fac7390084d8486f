// A training job's progress as the TrainingProgress message (ts-proto types from @ftune/proto), shared by
// the train service's jobs and the pipeline service's runs.
import type { train } from '@ftune/proto';
import { toTimestamp } from '@ftune/transport';
import type { JobProgress } from './train-jobs';

export function toTrainingProgress(p: JobProgress): train.TrainingProgress {
  return {
    step: p.step,
    totalSteps: p.totalSteps,
    epoch: p.epoch,
    loss: p.loss,
    learningRate: p.learningRate,
    tokensPerSecond: p.tokensPerSecond,
    evalLoss: p.evalLoss,
    reportedAt: toTimestamp(p.reportedAt),
  };
}
