// Shared gRPC message mappings of the services' records (ts-proto types from @ftune/proto).
import type { train } from '@ftune/proto';
import { toTimestamp } from './grpc';
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
