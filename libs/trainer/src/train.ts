// The fine-tuning loop in numbered sections (nanoGPT train.py style), with the semantics of the Hugging
// Face Trainer (transformers 4.53): AdamW with decay exclusions, warmup + schedule, global-norm clipping,
// gradient accumulation normalized by the trainable tokens of the whole accumulated batch (the loss-kwargs
// path), evaluation, early stopping, checkpoints and exact resume. Its parts are named in ./loop/: the
// plan, the training state, a step's accumulation and update, the log, evaluation, the checkpoint keeper.
// Model-agnostic: it sees a TrainableModel and a DataSource. Not here: mixed precision, multi-device.
// The Trainer rules followed, and where ftune departs from them: docs/hf-semantics.md §5.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OPTIMIZER_FILE, readOptimizer } from './checkpoint/checkpoint';
import type { RandomState } from './data/random';
import { Random } from './data/random';
import { defaultGreaterIsBetter, EarlyStopping, evalMetricName } from './monitor/early-stopping';
import { MetricsLog } from './monitor/metrics-log';
import type { FitSignal } from './monitor/signals';
import { AdamW } from './optim/adamw';
import { learningRateAt } from './schedules/lr-schedule';
import type { DataSource } from './types';
import { CheckpointKeeper } from './loop/checkpoints';
import { evaluate, recordEvaluation } from './loop/evaluate';
import { asOutOfMemory } from './loop/halt';
import { planRun, resumeDirOf, variablesIO } from './loop/plan';
import { TrainingState } from './loop/state';
import { StepLog } from './loop/step-log';
import { accumulateGroup, applyUpdate } from './loop/step';
import type { EvalRecord, TrainOptions, TrainResult } from './loop/types';

export * from './loop/types';
export { TrainingHaltedError, type HaltReason } from './loop/halt';

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The micro-batches first..end-1 of an epoch's order, collated as they are reached. */
function* microBatches<E>(data: DataSource<E>, order: number[][], first: number, end: number, epoch: number) {
  for (let b = first; b < end; b++) {
    yield {
      batch: data.collate(order[b].map((i) => data.examples[i])),
      where: `batch ${b} of epoch ${epoch + 1}`,
    };
  }
}

export async function train<E>(options: TrainOptions<E>): Promise<TrainResult> {
  const { model, train: trainData, validation, outDir, onEvent = () => undefined } = options;
  const warn = (message: string): void => onEvent({ type: 'warning', message });

  // --- 1. Plan: arguments, sizes, schedule; the optimizer and the best-model metric -------------
  const plan = planRun(options);
  const { args, schedule, totalSteps } = plan;
  const modelIO = options.modelIO ?? variablesIO(model.trainableVariables);
  const optimizer = new AdamW(model.trainableVariables, {
    beta1: args.adamBeta1,
    beta2: args.adamBeta2,
    eps: args.adamEpsilon,
    weightDecay: args.weightDecay,
  });
  const metric = evalMetricName(args.metricForBestModel);
  const greaterIsBetter = args.greaterIsBetter ?? defaultGreaterIsBetter(metric);
  const tracksBest = validation !== undefined && (args.loadBestModelAtEnd ?? args.earlyStoppingPatience > 0);
  const early =
    args.earlyStoppingPatience > 0
      ? new EarlyStopping(args.earlyStoppingPatience, args.earlyStoppingThreshold, greaterIsBetter)
      : null;

  // --- 2. State: fresh, or restored from a checkpoint (weights and optimizer moments with it) ----
  const state = new TrainingState(plan, metric, early);
  const resumeDir = resumeDirOf(options.resume, outDir, warn);
  if (resumeDir) {
    const saved = state.restore(resumeDir, warn);
    modelIO.load(resumeDir);
    optimizer.load(readOptimizer(path.join(resumeDir, OPTIMIZER_FILE), saved.globalStep));
  }
  const metricsLog = outDir ? new MetricsLog(path.join(outDir, 'metrics.jsonl')) : null;
  if (outDir) fs.mkdirSync(outDir, { recursive: true });
  if (resumeDir) metricsLog?.truncateAfter(state.globalStep);
  else metricsLog?.reset();
  const { stepsPerEpoch, numExamples: examples } = plan;
  const decayed = optimizer.decayedNames();
  onEvent({ type: 'start', totalSteps, stepsPerEpoch, startStep: state.globalStep, examples, decayed });

  // --- 3. The log window and the checkpoint keeper --------------------------------------------
  const log = new StepLog(state, totalSteps, options.now ?? (() => performance.now()), metricsLog, onEvent);
  const flush = (): Promise<void> => log.flush();
  const resumedAt = resumeDir ? state.globalStep : null;
  const keeper = new CheckpointKeeper(outDir, state, args, modelIO, optimizer, flush, onEvent, resumedAt);
  const signals: FitSignal[] = [];
  let lastEval: EvalRecord | null = null;

  // --- 4. The loop: epochs → accumulation groups → micro-batches -------------------------------
  let status: TrainResult['status'] = 'completed';
  let batches: number[][] | null = null;
  let rngAfterOrder: RandomState = state.rngAtEpochStart;
  try {
    while (state.globalStep < totalSteps) {
      // 4a. This epoch's order, regenerated from the RNG state at the epoch start (so resume is exact)
      if (batches === null) {
        const rng = new Random(state.rngAtEpochStart);
        batches = plan.sampler(rng, plan.numExamples, args.batchSize);
        rngAfterOrder = rng.state();
      }

      // 4b. Forward and backward over the micro-batches of one accumulation group
      const step = state.globalStep + 1;
      const groupEnd = Math.min(state.nextBatch + args.gradientAccumulationSteps, batches.length);
      const micro = microBatches(trainData, batches, state.nextBatch, groupEnd, state.dataEpoch);
      const group = accumulateGroup(model, micro, step);
      state.nextBatch = groupEnd;

      // 4c. Normalize by tokens, clip the global norm, one AdamW update at the scheduled rate
      const update = applyUpdate(optimizer, group, args.maxGradNorm, learningRateAt(schedule, step));
      state.globalStep = step;
      state.tokensSeen += group.inputTokens;

      // 4d. Epoch boundary: the next epoch's order starts from the RNG state after this one's
      const epochEnded = state.nextBatch >= batches.length;
      const epoch = state.dataEpoch + state.nextBatch / batches.length;
      if (epochEnded) {
        state.dataEpoch += 1;
        state.nextBatch = 0;
        state.rngAtEpochStart = rngAfterOrder;
        batches = null;
      }

      // 4e. Log (read back only every loggingSteps)
      const { correct, tokens, inputTokens } = group;
      log.push({
        step,
        epoch,
        lr: update.lr,
        loss: update.loss,
        gradNorm: update.gradNorm,
        correct,
        tokens,
        inputTokens,
      });
      if (step % args.loggingSteps === 0 || step === totalSteps) await log.flush();

      // 4f. Evaluate every evalSteps, at each epoch end and after the last step; keep the best model
      let stopNow = false;
      const evalDue =
        (args.evalSteps > 0 && step % args.evalSteps === 0) || epochEnded || step === totalSteps;
      if (validation && evalDue) {
        await log.flush();
        lastEval = await evaluate(model, validation, args.evalBatchSize, step);
        metricsLog?.append(lastEval);
        const outcome = recordEvaluation(state, lastEval, greaterIsBetter, signals, onEvent);
        if (outcome.stop) [stopNow, status] = [true, 'early_stopped'];
        if (outcome.improved && tracksBest) await keeper.keepBest();
      }

      // 4g. Checkpoint every saveSteps; stop on request
      if (keeper.isDue(step)) await keeper.save();
      if (stopNow) break;
      if (options.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      await yieldToEventLoop();
    }

    // --- 5. End: last checkpoint, then the final (or best) model as model/ ---------------------
    await log.flush();
    await keeper.save();
    const modelDir = status === 'interrupted' ? null : keeper.writeFinalModel(tracksBest);
    const result: TrainResult = {
      status,
      globalStep: state.globalStep,
      epoch: state.epoch,
      trainLoss: log.losses.length ? log.losses.reduce((a, b) => a + b, 0) / log.losses.length : NaN,
      lastEval,
      best: state.best,
      signals,
      modelDir,
    };
    if (outDir)
      fs.writeFileSync(path.join(outDir, 'training_summary.json'), `${JSON.stringify(result, null, 2)}\n`);
    onEvent({ type: 'end', result });
    return result;
  } catch (e) {
    throw asOutOfMemory(e, state.globalStep + 1);
  } finally {
    log.dispose();
    optimizer.dispose();
  }
}
