// The run's plan, fixed before the first step: arguments checked with their defaults filled, the batch
// sampler, steps per epoch, total steps and the learning-rate schedule, and where to resume from.
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@ftune/common';
import { checkArgs, resolveArgs } from '../args';
import { listCheckpoints, readWeightsInto, WEIGHTS_FILE, writeWeights } from '../checkpoint/checkpoint';
import { lengthGroupedSampler, shuffledBatches, updateStepsPerEpoch, type BatchSampler } from '../data/order';
import { Random } from '../data/random';
import { warmupStepsFor, type ScheduleConfig } from '../schedules/lr-schedule';
import type { RunShape } from './state';
import type { ModelIO, TrainOptions } from './types';

export interface RunPlan extends RunShape {
  sampler: BatchSampler;
  stepsPerEpoch: number;
  totalSteps: number;
}

export function planRun<E>(options: TrainOptions<E>): RunPlan {
  const { train: trainData, validation } = options;
  const args = resolveArgs(options.args ?? {});
  const problem = checkArgs(args);
  if (problem) throw new UserError(problem);
  const numExamples = trainData.examples.length;
  if (numExamples === 0) throw new UserError('the training split is empty');
  if (args.earlyStoppingPatience > 0 && !validation) {
    throw new UserError('early stopping needs a validation split to evaluate on');
  }
  if (args.groupByLength && !trainData.lengths && !options.sampler) {
    throw new UserError('groupByLength needs the length of each training example');
  }
  if (args.packing && !options.sampler) {
    throw new UserError('packing needs a sampler of token-budget batches (the train job passes one)');
  }
  const sampler =
    options.sampler ?? (args.groupByLength ? lengthGroupedSampler(trainData.lengths ?? []) : shuffledBatches);
  // the batch count is the same every epoch (length grouping may leave several partial batches)
  const batchesPerEpoch = sampler(new Random(args.seed), numExamples, args.batchSize).length;
  const stepsPerEpoch = updateStepsPerEpoch(batchesPerEpoch, args.gradientAccumulationSteps);
  const totalSteps = args.maxSteps > 0 ? args.maxSteps : Math.ceil(args.epochs * stepsPerEpoch);
  const schedule: ScheduleConfig = {
    type: args.lrScheduler,
    baseLr: args.learningRate,
    totalSteps,
    warmupSteps: warmupStepsFor(totalSteps, args.warmupSteps, args.warmupRatio),
  };
  return { args, numExamples, sampler, batchesPerEpoch, stepsPerEpoch, totalSteps, schedule };
}

/** The checkpoint to resume from, or null for a fresh start (`warn`ed when one was asked for). */
export function resumeDirOf(
  resume: TrainOptions<unknown>['resume'],
  outDir: string | undefined,
  warn: (message: string) => void,
): string | null {
  if (typeof resume === 'string') return resume;
  const dir = resume && outDir ? (listCheckpoints(outDir).pop()?.dir ?? null) : null;
  if (resume === true && !dir)
    warn(`no checkpoint in ${outDir ?? '(no output folder)'}: starting from step 0`);
  return dir;
}

/** The default model I/O: the trainable variables by name in model.safetensors. */
export function variablesIO(variables: readonly tf.Variable[]): ModelIO {
  return {
    save: (dir) => writeWeights(path.join(dir, WEIGHTS_FILE), variables),
    load: (dir) => readWeightsInto(path.join(dir, WEIGHTS_FILE), variables),
  };
}
