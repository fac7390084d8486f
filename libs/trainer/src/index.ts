// @ftune/trainer — The fine-tuning loop: AdamW, schedules, clipping, accumulation, checkpoints and exact resume.
export * from './types';
export * from './args';
export * from './config/hyperparameters';
export * from './train';
export * from './optim/adamw';
export * from './optim/decay';
export * from './optim/clip';
export { type NativeOps, nativeOps } from './optim/native-ops';
export * from './schedules/lr-schedule';
export * from './data/random';
export * from './data/order';
export * from './monitor/early-stopping';
export * from './monitor/signals';
export {
  listCheckpoints,
  readTrainerState,
  type TrainerState,
  type CheckpointInfo,
} from './checkpoint/checkpoint';
export * from './config/train-config';
export * from './job/train-job';
export { chatExample, jobChatTemplate, trainedParts } from './job/chat-data';
