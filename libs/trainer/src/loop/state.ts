// The training state: everything besides tensors that a checkpoint must hold to continue a run exactly
// (step, data position and RNG, tokens seen, best metric, early-stopping and monitor state), fresh or
// restored from a checkpoint's trainer_state.json, and its snapshot for the next checkpoint.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '@ftune/common';
import { DEFAULT_ARGS, type TrainingArguments } from '../args';
import { readTrainerState, TRAINER_STATE_FILE, type TrainerState } from '../checkpoint/checkpoint';
import { Random, type RandomState } from '../data/random';
import type { EarlyStopping } from '../monitor/early-stopping';
import { SignalMonitor, type SignalMonitorState } from '../monitor/signals';
import type { ScheduleConfig } from '../schedules/lr-schedule';
import type { BestModel } from './types';

/** The loop's fixed facts a snapshot records beside the state. */
export interface RunShape {
  args: TrainingArguments;
  numExamples: number;
  batchesPerEpoch: number;
  schedule: ScheduleConfig;
}

interface SavedMonitor {
  signals: SignalMonitorState;
  trainLossSinceEval: { sum: number; count: number };
  bestOnlyCheckpoints: number[];
}

/** Arguments that fix the data order; a checkpoint resumes exactly only when they are unchanged. */
const ORDER_ARGS = ['batchSize', 'gradientAccumulationSteps', 'seed', 'groupByLength', 'packing'] as const;

export class TrainingState {
  globalStep = 0;
  dataEpoch = 0; // 0-based epoch being read
  nextBatch = 0; // next micro-batch index in that epoch
  rngAtEpochStart: RandomState;
  tokensSeen = 0;
  best: BestModel;
  monitor: SignalMonitor;
  trainLossSinceEval = { sum: 0, count: 0 };
  /** Checkpoints saved only because they were the best so far (removed when a better one comes). */
  readonly bestOnlyCheckpoints = new Set<number>();

  constructor(
    private readonly run: RunShape,
    metric: string,
    /** Its counter is part of the state. */
    readonly early: EarlyStopping | null,
  ) {
    this.rngAtEpochStart = new Random(run.args.seed).state();
    this.best = { metric, value: null, step: null, checkpoint: null };
    this.monitor = new SignalMonitor(run.args.signalWindow);
  }

  /** Fractional epoch as the Trainer logs it. */
  get epoch(): number {
    return this.dataEpoch + this.nextBatch / this.run.batchesPerEpoch;
  }

  /**
   * Reads `dir`'s trainer_state.json into this state after checking that the run can continue from it
   * exactly; returns the saved state (for its scheduler and step).
   */
  restore(dir: string, warn: (message: string) => void): TrainerState {
    const { args, numExamples, schedule } = this.run;
    if (!fs.existsSync(path.join(dir, TRAINER_STATE_FILE))) {
      throw new UserError(`${dir} is not a complete checkpoint (no ${TRAINER_STATE_FILE})`);
    }
    const saved = readTrainerState(dir);
    // a checkpoint written before an argument existed holds its default
    const was = { ...DEFAULT_ARGS, ...(saved.args as Partial<TrainingArguments>) };
    for (const key of ORDER_ARGS) {
      if (was[key] !== args[key]) {
        throw new UserError(`cannot resume exactly from ${dir}: ${key} was ${was[key]}, now ${args[key]}`);
      }
    }
    if (saved.data.trainExamples !== numExamples) {
      throw new UserError(
        `cannot resume exactly from ${dir}: the training split had ${saved.data.trainExamples} examples, now ${numExamples}`,
      );
    }
    if (saved.scheduler.totalSteps !== schedule.totalSteps) {
      warn(
        `total steps changed from ${saved.scheduler.totalSteps} to ${schedule.totalSteps}: the schedule follows the new total`,
      );
    }
    this.globalStep = saved.globalStep;
    this.dataEpoch = saved.data.epoch;
    this.nextBatch = saved.data.nextBatch;
    this.rngAtEpochStart = saved.data.rngAtEpochStart;
    this.tokensSeen = saved.tokensSeen;
    this.best = saved.best;
    if (this.early) this.early.counter = saved.earlyStopping.counter;
    const m = saved.monitor as SavedMonitor;
    this.monitor = new SignalMonitor(args.signalWindow, m.signals);
    this.trainLossSinceEval = m.trainLossSinceEval;
    for (const s of m.bestOnlyCheckpoints) this.bestOnlyCheckpoints.add(s);
    return saved;
  }

  snapshot(): TrainerState {
    const { args, numExamples, schedule } = this.run;
    return {
      formatVersion: 1,
      globalStep: this.globalStep,
      epoch: this.epoch,
      data: {
        epoch: this.dataEpoch,
        nextBatch: this.nextBatch,
        rngAtEpochStart: this.rngAtEpochStart,
        trainExamples: numExamples,
      },
      scheduler: {
        type: schedule.type,
        step: this.globalStep,
        totalSteps: schedule.totalSteps,
        warmupSteps: schedule.warmupSteps,
      },
      tokensSeen: this.tokensSeen,
      best: this.best,
      earlyStopping: { counter: this.early?.counter ?? 0 },
      monitor: {
        signals: this.monitor.state(),
        trainLossSinceEval: this.trainLossSinceEval,
        bestOnlyCheckpoints: [...this.bestOnlyCheckpoints],
      } satisfies SavedMonitor,
      args: { ...args },
    };
  }
}
