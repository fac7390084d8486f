// The fine-tuning loop, one file in numbered sections (nanoGPT train.py style), with the semantics of
// the Hugging Face Trainer (transformers 4.53): AdamW with decay exclusions, warmup + schedule, global-norm
// clipping, gradient accumulation normalized by the trainable tokens of the whole accumulated batch (the
// loss-kwargs path), evaluation, early stopping, checkpoints and exact resume. Model-agnostic: it sees a
// TrainableModel and a DataSource. Not here: mixed precision, multi-device, dropout RNG state of models.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // tfjs-core alone registers no op gradients
import { UserError } from '@ftune/common';
import { checkArgs, resolveArgs, type TrainingArguments } from './args';
import {
  checkpointDir,
  listCheckpoints,
  OPTIMIZER_FILE,
  pruneCheckpoints,
  readOptimizer,
  readTrainerState,
  readWeightsInto,
  TRAINER_STATE_FILE,
  WEIGHTS_FILE,
  writeFolderAtomically,
  writeOptimizer,
  writeWeights,
  type TrainerState,
} from './checkpoint/checkpoint';
import {
  lengthGroupedSampler,
  shuffledBatches,
  toBatches,
  updateStepsPerEpoch,
  type BatchSampler,
} from './data/order';
import { Random, type RandomState } from './data/random';
import { defaultGreaterIsBetter, EarlyStopping, evalMetricName, isBetter } from './monitor/early-stopping';
import { MetricsLog } from './monitor/metrics-log';
import { SignalMonitor, type FitSignal, type SignalMonitorState } from './monitor/signals';
import { AdamW } from './optim/adamw';
import { clipByGlobalNorm } from './optim/clip';
import { learningRateAt, warmupStepsFor, type ScheduleConfig } from './schedules/lr-schedule';
import { IGNORE_INDEX, type CollatedBatch, type DataSource, type TrainableModel } from './types';

// -----------------------------------------------------------------------------------------------
// Public types: options, records, events, result, the error for bad runs

export interface TrainOptions<E> {
  model: TrainableModel;
  train: DataSource<E>;
  validation?: DataSource<E>;
  args?: Partial<TrainingArguments>;
  /** metrics.jsonl, checkpoint-<step>/ and model/ go here; nothing is written without it. */
  outDir?: string;
  /** true: continue from the newest checkpoint in outDir (a fresh start if none); a path: from that checkpoint. */
  resume?: boolean | string;
  onEvent?: (event: TrainerEvent) => void;
  /** Aborting stops after the current optimizer step, writes a checkpoint and returns status 'interrupted'. */
  signal?: AbortSignal;
  /**
   * How model weights go into a folder and back: checkpoints, the best model and model/ use it. A model
   * library passes its Hugging Face writer and a loader into the live variables. Default: the trainable
   * variables by name, as the model holds them, in model.safetensors.
   */
  modelIO?: ModelIO;
  /** Overrides the epoch's batches (shuffled, or length-grouped when args.groupByLength). */
  sampler?: BatchSampler;
  /** Milliseconds clock for tokens/s; default performance.now. */
  now?: () => number;
}

export interface ModelIO {
  save(dir: string): void;
  /** Assigns the weights saved in `dir` to the model being trained. */
  load(dir: string): void;
}

/** One line of metrics.jsonl per logged optimizer step. tokens_* count non-padding input tokens. */
export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
  token_accuracy: number;
  learning_rate: number;
  grad_norm: number;
  tokens_per_second: number;
  tokens_seen: number;
}

/** One line of metrics.jsonl per evaluation, token-weighted over the whole validation split. */
export interface EvalRecord {
  step: number;
  eval_loss: number;
  eval_perplexity: number;
  eval_token_accuracy: number;
}

export type TrainerEvent =
  | {
      type: 'start';
      totalSteps: number;
      stepsPerEpoch: number;
      startStep: number;
      examples: number;
      decayed: string[];
    }
  | { type: 'step'; record: StepRecord; totalSteps: number }
  | { type: 'eval'; record: EvalRecord; isBest: boolean }
  | { type: 'signal'; signal: FitSignal }
  | { type: 'checkpoint'; step: number; dir: string }
  | { type: 'early_stop'; step: number; message: string }
  | { type: 'warning'; message: string }
  | { type: 'end'; result: TrainResult };

export interface TrainResult {
  status: 'completed' | 'early_stopped' | 'interrupted';
  globalStep: number;
  epoch: number;
  /** Mean of the logged training losses of this process's steps (NaN when none). */
  trainLoss: number;
  lastEval: EvalRecord | null;
  best: { metric: string; value: number | null; step: number | null; checkpoint: string | null };
  signals: FitSignal[];
  modelDir: string | null;
}

export type HaltReason = 'non_finite_loss' | 'no_trainable_tokens' | 'out_of_memory';

/** A run stopped because it cannot go on; the message says why and what to change. */
export class TrainingHaltedError extends Error {
  constructor(
    readonly reason: HaltReason,
    readonly step: number,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingHaltedError';
  }
}

// -----------------------------------------------------------------------------------------------
// Small helpers used by the loop

/** Rows with at least one label a next-token loss can use (labels at position ≥ 1). */
function countTrainable(batch: CollatedBatch): { trainableRows: number; inputTokens: number } {
  const { batchSize: B, seqLen: T, labels, attentionMask } = batch;
  let trainableRows = 0;
  let inputTokens = 0;
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let t = 0; t < T; t++) {
      inputTokens += attentionMask[b * T + t];
      if (t > 0 && labels[b * T + t] !== IGNORE_INDEX) any = true;
    }
    if (any) trainableRows += 1;
  }
  return { trainableRows, inputTokens };
}

function isOutOfMemory(e: unknown): boolean {
  const text = e instanceof Error ? `${e.name} ${e.message}` : String(e);
  return /out of memory|\bOOM\b|failed to allocate|allocation failed|Invalid typed array length|Array buffer allocation/i.test(
    text,
  );
}

/** Adds `next` into `acc` (taking ownership of both); returns the sum. */
function accumulate<T extends tf.Tensor>(acc: T | null, next: T): T {
  if (acc === null) return next;
  const sum = tf.add(acc, next) as T;
  acc.dispose();
  next.dispose();
  return sum;
}

interface SavedMonitor {
  signals: SignalMonitorState;
  trainLossSinceEval: { sum: number; count: number };
  bestOnlyCheckpoints: number[];
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// -----------------------------------------------------------------------------------------------
// The training run

export async function train<E>(options: TrainOptions<E>): Promise<TrainResult> {
  const { model, train: trainData, validation, outDir, onEvent = () => undefined } = options;
  const now = options.now ?? (() => performance.now());

  // --- 1. Arguments and sizes -----------------------------------------------------------------
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
  const variables = model.trainableVariables;
  const modelIO: ModelIO = options.modelIO ?? {
    save: (dir) => writeWeights(path.join(dir, WEIGHTS_FILE), variables),
    load: (dir) => readWeightsInto(path.join(dir, WEIGHTS_FILE), variables),
  };
  const optimizer = new AdamW(variables, {
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

  // --- 2. State: fresh, or restored from a checkpoint ------------------------------------------
  let globalStep = 0;
  let dataEpoch = 0; // 0-based epoch being read
  let nextBatch = 0; // next micro-batch index in that epoch
  let rngAtEpochStart: RandomState = new Random(args.seed).state();
  let tokensSeen = 0;
  let best: TrainResult['best'] = { metric, value: null, step: null, checkpoint: null };
  let monitor = new SignalMonitor(args.signalWindow);
  let trainLossSinceEval = { sum: 0, count: 0 };
  const bestOnlyCheckpoints = new Set<number>(); // saved only because they were the best so far

  const resumeDir =
    typeof options.resume === 'string'
      ? options.resume
      : options.resume && outDir
        ? (listCheckpoints(outDir).pop()?.dir ?? null)
        : null;
  if (options.resume === true && !resumeDir) {
    onEvent({
      type: 'warning',
      message: `no checkpoint in ${outDir ?? '(no output folder)'}: starting from step 0`,
    });
  }
  if (resumeDir) {
    if (!fs.existsSync(path.join(resumeDir, TRAINER_STATE_FILE))) {
      throw new UserError(`${resumeDir} is not a complete checkpoint (no ${TRAINER_STATE_FILE})`);
    }
    const saved = readTrainerState(resumeDir);
    const was = saved.args as Partial<TrainingArguments>;
    for (const key of ['batchSize', 'gradientAccumulationSteps', 'seed', 'groupByLength'] as const) {
      if (was[key] !== args[key]) {
        throw new UserError(
          `cannot resume exactly from ${resumeDir}: ${key} was ${was[key]}, now ${args[key]}`,
        );
      }
    }
    if (saved.data.trainExamples !== numExamples) {
      throw new UserError(
        `cannot resume exactly from ${resumeDir}: the training split had ${saved.data.trainExamples} examples, now ${numExamples}`,
      );
    }
    if (saved.scheduler.totalSteps !== totalSteps) {
      onEvent({
        type: 'warning',
        message: `total steps changed from ${saved.scheduler.totalSteps} to ${totalSteps}: the schedule follows the new total`,
      });
    }
    modelIO.load(resumeDir);
    optimizer.load(readOptimizer(path.join(resumeDir, OPTIMIZER_FILE), saved.globalStep));
    globalStep = saved.globalStep;
    dataEpoch = saved.data.epoch;
    nextBatch = saved.data.nextBatch;
    rngAtEpochStart = saved.data.rngAtEpochStart;
    tokensSeen = saved.tokensSeen;
    best = saved.best;
    if (early) early.counter = saved.earlyStopping.counter;
    const m = saved.monitor as SavedMonitor;
    monitor = new SignalMonitor(args.signalWindow, m.signals);
    trainLossSinceEval = m.trainLossSinceEval;
    for (const s of m.bestOnlyCheckpoints) bestOnlyCheckpoints.add(s);
  }
  const metricsLog = outDir ? new MetricsLog(path.join(outDir, 'metrics.jsonl')) : null;
  if (outDir) fs.mkdirSync(outDir, { recursive: true });
  if (metricsLog) {
    if (resumeDir) metricsLog.truncateAfter(globalStep);
    else metricsLog.reset();
  }
  onEvent({
    type: 'start',
    totalSteps,
    stepsPerEpoch,
    startStep: globalStep,
    examples: numExamples,
    decayed: optimizer.decayedNames(),
  });

  // --- 3. The pieces of a step: logging window, evaluation, checkpoint -------------------------
  // Per-step values stay on the device until the window is flushed (the only read-back of the loss).
  interface PendingStep {
    step: number;
    epoch: number;
    lr: number;
    loss: tf.Scalar;
    correct: tf.Scalar;
    tokens: tf.Scalar;
    gradNorm: tf.Scalar;
    inputTokens: number;
  }
  let pending: PendingStep[] = [];
  let windowStart = now();
  const loggedLosses: number[] = [];
  const signals: FitSignal[] = [];
  let lastEval: EvalRecord | null = null;

  const flushLog = async (): Promise<void> => {
    if (pending.length === 0) return;
    const steps = pending;
    pending = [];
    const values = await Promise.all(
      steps.map(async (p) => {
        const [loss, correct, tokens, gradNorm] = await Promise.all(
          [p.loss, p.correct, p.tokens, p.gradNorm].map(async (t) => (await t.data())[0]),
        );
        [p.loss, p.correct, p.tokens, p.gradNorm].forEach((t) => t.dispose());
        return { loss, correct, tokens, gradNorm };
      }),
    );
    for (let i = 0; i < steps.length; i++) {
      const { loss, gradNorm } = values[i];
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        const what = Number.isFinite(loss)
          ? `the gradient norm became ${gradNorm}`
          : `the loss became ${loss}`;
        throw new TrainingHaltedError(
          'non_finite_loss',
          steps[i].step,
          `training diverged: ${what} at step ${steps[i].step} (learning rate ${steps[i].lr.toExponential(3)}); ` +
            `lower --learning-rate, add warmup (--warmup-steps) or keep --max-grad-norm at 1.0`,
        );
      }
    }
    const last = steps[steps.length - 1];
    const elapsed = Math.max(now() - windowStart, 1e-3) / 1000;
    windowStart = now();
    const sum = (f: (v: (typeof values)[number]) => number): number => values.reduce((s, v) => s + f(v), 0);
    const record: StepRecord = {
      step: last.step,
      epoch: last.epoch,
      loss: sum((v) => v.loss) / values.length,
      token_accuracy:
        sum((v) => v.correct) /
        Math.max(
          sum((v) => v.tokens),
          1,
        ),
      learning_rate: last.lr,
      grad_norm: values[values.length - 1].gradNorm,
      tokens_per_second: steps.reduce((s, p) => s + p.inputTokens, 0) / elapsed,
      tokens_seen: tokensSeen,
    };
    for (const v of values) loggedLosses.push(v.loss);
    trainLossSinceEval.sum += record.loss * values.length;
    trainLossSinceEval.count += values.length;
    metricsLog?.append(record);
    onEvent({ type: 'step', record, totalSteps });
  };

  const evaluate = async (): Promise<EvalRecord> => {
    const data = validation as DataSource<E>;
    const order = Array.from({ length: data.examples.length }, (_, i) => i);
    let sums: tf.Tensor1D | null = null;
    for (const indices of toBatches(order, args.evalBatchSize)) {
      const batch = data.collate(indices.map((i) => data.examples[i]));
      const terms = tf.tidy(() => {
        const t = model.lossTerms(batch, { training: false });
        return tf.stack([t.lossSum, t.tokens, t.correct]) as tf.Tensor1D;
      });
      sums = accumulate(sums, terms);
    }
    const [lossSum, tokens, correct] = sums ? Array.from(await sums.data()) : [0, 0, 0];
    sums?.dispose();
    if (!(tokens > 0)) {
      throw new TrainingHaltedError(
        'no_trainable_tokens',
        globalStep,
        'the validation split has no trainable token',
      );
    }
    const evalLoss = lossSum / tokens;
    return {
      step: globalStep,
      eval_loss: evalLoss,
      eval_perplexity: Math.exp(evalLoss),
      eval_token_accuracy: correct / tokens,
    };
  };

  const trainerState = (): TrainerState => ({
    formatVersion: 1,
    globalStep,
    epoch: dataEpoch + nextBatch / batchesPerEpoch,
    data: { epoch: dataEpoch, nextBatch, rngAtEpochStart, trainExamples: numExamples },
    scheduler: { type: schedule.type, step: globalStep, totalSteps, warmupSteps: schedule.warmupSteps },
    tokensSeen,
    best,
    earlyStopping: { counter: early?.counter ?? 0 },
    monitor: {
      signals: monitor.state(),
      trainLossSinceEval,
      bestOnlyCheckpoints: [...bestOnlyCheckpoints],
    } satisfies SavedMonitor,
    args: { ...args },
  });

  let lastSavedStep = resumeDir ? globalStep : -1;
  const saveCheckpoint = async (): Promise<string | null> => {
    if (!outDir || lastSavedStep === globalStep) return outDir ? checkpointDir(outDir, globalStep) : null;
    await flushLog(); // never checkpoint a diverged run
    const dir = checkpointDir(outDir, globalStep);
    writeFolderAtomically(dir, (tmp) => {
      modelIO.save(tmp);
      writeOptimizer(path.join(tmp, OPTIMIZER_FILE), optimizer.state());
      fs.writeFileSync(path.join(tmp, 'training_args.json'), `${JSON.stringify(args, null, 2)}\n`);
      fs.writeFileSync(path.join(tmp, TRAINER_STATE_FILE), `${JSON.stringify(trainerState(), null, 2)}\n`);
    });
    lastSavedStep = globalStep;
    onEvent({ type: 'checkpoint', step: globalStep, dir });
    if (args.saveTotalLimit > 0) pruneCheckpoints(outDir, args.saveTotalLimit, best.step);
    return dir;
  };

  // --- 4. The loop: epochs → accumulation groups → micro-batches -------------------------------
  let status: TrainResult['status'] = 'completed';
  let batches: number[][] | null = null;
  let rngAfterOrder: RandomState = rngAtEpochStart;
  try {
    while (globalStep < totalSteps) {
      // 4a. This epoch's order, regenerated from the RNG state at the epoch start (so resume is exact)
      if (batches === null) {
        const rng = new Random(rngAtEpochStart);
        batches = sampler(rng, numExamples, args.batchSize);
        rngAfterOrder = rng.state();
      }

      // 4b. Forward and backward over the micro-batches of one accumulation group; gradients of the
      //     summed token losses add up, and are divided once by the group's trainable tokens (§5.4).
      const groupEnd = Math.min(nextBatch + args.gradientAccumulationSteps, batches.length);
      let gradSums: Map<string, tf.Tensor> | null = null;
      let lossSum: tf.Scalar | null = null;
      let tokens: tf.Scalar | null = null;
      let correct: tf.Scalar | null = null;
      let inputTokens = 0;
      for (let b = nextBatch; b < groupEnd; b++) {
        const batch = trainData.collate(batches[b].map((i) => trainData.examples[i]));
        const counts = countTrainable(batch);
        if (counts.trainableRows === 0) {
          throw new TrainingHaltedError(
            'no_trainable_tokens',
            globalStep + 1,
            `batch ${b} of epoch ${dataEpoch + 1} (step ${globalStep + 1}) has no trainable token: every label is ` +
              `masked; check --response-template and --max-length (completions may be truncated away)`,
          );
        }
        inputTokens += counts.inputTokens;
        let micro: { grads: tf.NamedTensorMap; value: tf.Scalar; tokens: tf.Scalar; correct: tf.Scalar };
        try {
          const kept: { tokens?: tf.Scalar; correct?: tf.Scalar } = {};
          const { value, grads } = tf.variableGrads(() => {
            const t = model.lossTerms(batch, { training: true });
            kept.tokens = tf.keep(t.tokens);
            kept.correct = tf.keep(t.correct);
            return t.lossSum;
          }, variables);
          micro = { grads, value, tokens: kept.tokens as tf.Scalar, correct: kept.correct as tf.Scalar };
        } catch (e) {
          if (!isOutOfMemory(e)) throw e;
          throw new TrainingHaltedError(
            'out_of_memory',
            globalStep + 1,
            `out of memory at step ${globalStep + 1} (batch of ${batch.batchSize} × ${batch.seqLen} tokens): use a ` +
              `smaller --batch-size with a larger --gradient-accumulation-steps, or a smaller --max-length`,
          );
        }
        const sums: Map<string, tf.Tensor> = gradSums ?? new Map();
        for (const [name, g] of Object.entries(micro.grads))
          sums.set(name, accumulate(sums.get(name) ?? null, g));
        gradSums = sums;
        lossSum = accumulate(lossSum, micro.value);
        tokens = accumulate(tokens, micro.tokens);
        correct = accumulate(correct, micro.correct);
      }
      nextBatch = groupEnd;

      // 4c. Normalize by tokens, clip the global norm, one AdamW update at the scheduled rate
      const groupTokens = tokens as tf.Scalar;
      const normalized = new Map<string, tf.Tensor>();
      for (const [name, g] of gradSums as Map<string, tf.Tensor>) {
        normalized.set(name, tf.div(g, groupTokens));
        g.dispose();
      }
      const { grads: clipped, norm } = clipByGlobalNorm(normalized, args.maxGradNorm);
      normalized.forEach((g) => g.dispose());
      const lr = learningRateAt(schedule, globalStep + 1);
      optimizer.apply(clipped, lr);
      clipped.forEach((g) => g.dispose());
      globalStep += 1;
      tokensSeen += inputTokens;
      const stepLoss = tf.div(lossSum as tf.Scalar, groupTokens) as tf.Scalar;
      (lossSum as tf.Scalar).dispose();

      // 4d. Epoch boundary: the next epoch's order starts from the RNG state after this one's
      const epochEnded = nextBatch >= batches.length;
      const epochAtStep = dataEpoch + nextBatch / batches.length;
      if (epochEnded) {
        dataEpoch += 1;
        nextBatch = 0;
        rngAtEpochStart = rngAfterOrder;
        batches = null;
      }

      // 4e. Log (read back only every loggingSteps)
      pending.push({
        step: globalStep,
        epoch: epochAtStep,
        lr,
        loss: stepLoss,
        correct: correct as tf.Scalar,
        tokens: groupTokens,
        gradNorm: norm,
        inputTokens,
      });
      if (globalStep % args.loggingSteps === 0 || globalStep === totalSteps) await flushLog();

      // 4f. Evaluate every evalSteps, at each epoch end and after the last step; best model, signals, early stopping
      let stopNow = false;
      const evalDue =
        (args.evalSteps > 0 && globalStep % args.evalSteps === 0) || epochEnded || globalStep === totalSteps;
      if (validation && evalDue) {
        await flushLog();
        const record = await evaluate();
        lastEval = record;
        metricsLog?.append(record);
        const value = record[metric as keyof EvalRecord];
        if (value === undefined)
          throw new UserError(`metricForBestModel ${metric} is not an evaluation metric`);
        const previousBest = best.value;
        const improved = isBetter(value, previousBest, greaterIsBetter);
        if (improved) best = { ...best, value, step: globalStep };
        onEvent({ type: 'eval', record, isBest: improved });
        if (trainLossSinceEval.count > 0) {
          const trainLoss = trainLossSinceEval.sum / trainLossSinceEval.count;
          for (const s of monitor.add({ step: globalStep, evalLoss: record.eval_loss, trainLoss })) {
            signals.push(s);
            onEvent({ type: 'signal', signal: s });
          }
        }
        trainLossSinceEval = { sum: 0, count: 0 };
        if (early?.update(value, previousBest)) {
          stopNow = true;
          status = 'early_stopped';
          onEvent({
            type: 'early_stop',
            step: globalStep,
            message: `early stopping at step ${globalStep}: ${metric} did not improve by more than ${args.earlyStoppingThreshold} for ${early.patience} evaluations (best ${best.value} at step ${best.step})`,
          });
        }
        if (improved && tracksBest && outDir) {
          const previousBestStep = bestOnlyCheckpoints.size ? [...bestOnlyCheckpoints][0] : null;
          const isRegularSave = args.saveSteps > 0 && globalStep % args.saveSteps === 0;
          best = { ...best, checkpoint: checkpointDir(outDir, globalStep) };
          bestOnlyCheckpoints.clear();
          if (!isRegularSave) bestOnlyCheckpoints.add(globalStep);
          await saveCheckpoint();
          if (previousBestStep !== null && previousBestStep !== globalStep) {
            fs.rmSync(checkpointDir(outDir, previousBestStep), { recursive: true, force: true });
          }
        }
      }

      // 4g. Checkpoint every saveSteps; stop on request
      if (args.saveSteps > 0 && globalStep % args.saveSteps === 0) await saveCheckpoint();
      if (stopNow) break;
      if (options.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      await yieldToEventLoop();
    }

    // --- 5. End: last checkpoint, then the final (or best) model as model/ ---------------------
    await flushLog();
    await saveCheckpoint();
    let modelDir: string | null = null;
    if (outDir && status !== 'interrupted') {
      if (tracksBest && best.checkpoint && best.step !== globalStep) {
        modelIO.load(best.checkpoint);
      }
      modelDir = path.join(outDir, 'model');
      writeFolderAtomically(modelDir, (tmp) => modelIO.save(tmp));
    }
    const result: TrainResult = {
      status,
      globalStep,
      epoch: dataEpoch + nextBatch / batchesPerEpoch,
      trainLoss: loggedLosses.length ? loggedLosses.reduce((a, b) => a + b, 0) / loggedLosses.length : NaN,
      lastEval,
      best,
      signals,
      modelDir,
    };
    if (outDir)
      fs.writeFileSync(path.join(outDir, 'training_summary.json'), `${JSON.stringify(result, null, 2)}\n`);
    onEvent({ type: 'end', result });
    return result;
  } catch (e) {
    if (e instanceof TrainingHaltedError || !isOutOfMemory(e)) throw e;
    throw new TrainingHaltedError(
      'out_of_memory',
      globalStep + 1,
      `out of memory at step ${globalStep + 1}: use a smaller --batch-size with a larger ` +
        `--gradient-accumulation-steps, or a smaller --max-length`,
    );
  } finally {
    for (const p of pending) [p.loss, p.correct, p.tokens, p.gradNorm].forEach((t) => t.dispose());
    optimizer.dispose();
  }
}
