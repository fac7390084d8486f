import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { readFloat32Tensors } from '@ftune/safetensors';
import type { TrainingArguments } from './args';
import { listCheckpoints, readTrainerState, WEIGHTS_FILE } from './checkpoint/checkpoint';
import { collateTokens, permutationTask, tokenSource, TinyLM, type TokenExample } from './testing';
import { train, TrainingHaltedError, type StepRecord, type TrainerEvent, type TrainOptions } from './train';
import type { CollatedBatch, LossTerms, TrainableModel } from './types';

const V = 24;
const tmpDirs: string[] = [];
const models: TinyLM[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-trainer-'));
  tmpDirs.push(d);
  return d;
};
/** Variables are named by HF names, so only one tiny model lives at a time: earlier ones are disposed. */
const tinyModel = (seed = 1): TinyLM => {
  models.splice(0).forEach((x) => x.dispose());
  const m = new TinyLM({ vocabSize: V, hidden: 16, seed });
  models.push(m);
  return m;
};
afterEach(() => {
  models.splice(0).forEach((m) => m.dispose());
  tmpDirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const trainSet = permutationTask({ vocabSize: V, count: 64, seed: 1, maxCompletion: 3 });
const heldOut = permutationTask({ vocabSize: V, count: 48, seed: 2, maxCompletion: 3 });

async function run(
  args: Partial<TrainingArguments>,
  extra: Partial<TrainOptions<TokenExample>> = {},
): Promise<{
  model: TrainableModel;
  steps: StepRecord[];
  events: TrainerEvent[];
  result: Awaited<ReturnType<typeof train>>;
}> {
  const model = extra.model ?? tinyModel();
  const events: TrainerEvent[] = [];
  const result = await train({
    model,
    train: tokenSource(trainSet),
    ...extra,
    args: { learningRate: 5e-2, batchSize: 8, epochs: 1, saveSteps: 0, ...args },
    onEvent: (e) => {
      events.push(e);
      extra.onEvent?.(e);
    },
  });
  const steps = events.flatMap((e) => (e.type === 'step' ? [e.record] : []));
  return { model, steps, events, result };
}

function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let d = 0;
  for (const [k, x] of a) {
    const y = b.get(k) as Float32Array;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  }
  return d;
}

/** Greedy accuracy on the completion tokens of a split, with the model's own loss terms. */
function accuracy(model: TrainableModel, examples: TokenExample[]): number {
  return tf.tidy(() => {
    const t = model.lossTerms(collateTokens(examples), { training: false });
    return t.correct.dataSync()[0] / t.tokens.dataSync()[0];
  });
}

describe('train: learning', () => {
  it('learns a synthetic completion task: held-out accuracy far above chance', async () => {
    const model = tinyModel();
    const before = accuracy(model, heldOut);
    const { result, steps } = await run({ epochs: 12, learningRate: 3e-2, warmupRatio: 0.1 }, { model });
    const after = accuracy(model, heldOut);
    expect(before).toBeLessThan(0.15);
    expect(after).toBeGreaterThan(0.9); // chance is 1/23
    expect(result.status).toBe('completed');
    expect(result.globalStep).toBe(12 * 8);
    expect(steps[steps.length - 1].loss).toBeLessThan(steps[0].loss / 4);
  });

  it('writes the documented metric records and a validation pass per epoch', async () => {
    const out = tmp();
    await run({ epochs: 2, evalSteps: 3 }, { outDir: out, validation: tokenSource(heldOut) });
    const lines = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const stepLines = lines.filter((l) => 'loss' in l);
    const evalLines = lines.filter((l) => 'eval_loss' in l);
    expect(stepLines).toHaveLength(16);
    expect(Object.keys(stepLines[0]).sort()).toEqual(
      [
        'epoch',
        'grad_norm',
        'learning_rate',
        'loss',
        'step',
        'token_accuracy',
        'tokens_per_second',
        'tokens_seen',
      ].sort(),
    );
    expect(stepLines[7].epoch).toBe(1);
    expect(stepLines[15].tokens_seen).toBe(2 * trainSet.reduce((s, e) => s + e.inputIds.length, 0));
    // evaluations at steps 3, 6, 8 (epoch end), 9, 12, 15, 16 (epoch end)
    expect(evalLines.map((l) => l.step)).toEqual([3, 6, 8, 9, 12, 15, 16]);
    const e = evalLines[0];
    expect(Object.keys(e).sort()).toEqual(['eval_loss', 'eval_perplexity', 'eval_token_accuracy', 'step']);
    expect(e.eval_perplexity).toBeCloseTo(Math.exp(e.eval_loss), 6);
  });

  it('evaluates token-weighted over the whole split, independent of the eval batch size', async () => {
    const records = [];
    for (const evalBatchSize of [5, 48]) {
      const { events } = await run(
        { maxSteps: 2, evalSteps: 2, evalBatchSize },
        { validation: tokenSource(heldOut) },
      );
      records.push(events.flatMap((e) => (e.type === 'eval' ? [e.record] : []))[0]);
      models.splice(0).forEach((m) => m.dispose());
    }
    expect(records[0].eval_loss).toBeCloseTo(records[1].eval_loss, 5);
    expect(records[0].eval_token_accuracy).toBeCloseTo(records[1].eval_token_accuracy, 6);
  });
});

describe('train: hyperparameters', () => {
  it('learning rate 0 leaves the weights unchanged; a larger rate lowers the loss faster', async () => {
    const frozen = tinyModel();
    const start = frozen.snapshot();
    await run({ learningRate: 0, maxSteps: 3 }, { model: frozen });
    expect(maxAbsDiff(start, frozen.snapshot())).toBe(0);
    const losses = [];
    for (const learningRate of [1e-3, 3e-2]) {
      const { steps } = await run({ learningRate, maxSteps: 8, lrScheduler: 'constant' });
      losses.push(steps[steps.length - 1].loss);
      models.splice(0).forEach((m) => m.dispose());
    }
    expect(losses[1]).toBeLessThan(losses[0]);
  });

  it('batch size, epochs and max steps set the number of updates', async () => {
    expect((await run({ batchSize: 8, epochs: 1 })).result.globalStep).toBe(8);
    expect((await run({ batchSize: 5, epochs: 2 })).result.globalStep).toBe(2 * 13);
    expect((await run({ batchSize: 8, epochs: 0.5 })).result.globalStep).toBe(4);
    expect((await run({ batchSize: 8, gradientAccumulationSteps: 3, epochs: 1 })).result.globalStep).toBe(3);
    const capped = await run({ batchSize: 8, epochs: 5, maxSteps: 11 });
    expect(capped.result.globalStep).toBe(11);
    expect(capped.steps[10].epoch).toBeCloseTo(11 / 8, 10);
  });

  it('the seed fixes the data order: same seed, same weights; another seed, other weights', async () => {
    const weightsFor = async (seed: number): Promise<Map<string, Float32Array>> =>
      ((await run({ seed, maxSteps: 4 })).model as TinyLM).snapshot();
    const a = await weightsFor(1);
    expect(maxAbsDiff(await weightsFor(1), a)).toBe(0);
    expect(maxAbsDiff(await weightsFor(2), a)).toBeGreaterThan(1e-4);
  });

  it('logs the scheduled rate of each update (linear with warmup)', async () => {
    const { steps } = await run({ learningRate: 1e-2, maxSteps: 6, warmupSteps: 2 });
    const expected = [0, 0.5, 1, 0.75, 0.5, 0.25].map((x) => x * 1e-2);
    steps.forEach((s, i) => expect(s.learning_rate).toBeCloseTo(expected[i], 12));
  });

  it('weight decay shrinks decayed matrices and leaves LayerNorm weights and biases alone', async () => {
    const norms: Record<string, number>[] = [];
    for (const weightDecay of [0, 0.5]) {
      const m = tinyModel();
      // with a zero gradient, an AdamW update is pure decoupled decay: p ← p·(1 − lr·wd)
      const noGrad: TrainableModel = {
        trainableVariables: m.trainableVariables,
        lossTerms: (b) => {
          const t = m.lossTerms(b);
          const zero = tf.mul(tf.addN(m.trainableVariables.map((v) => tf.sum(v))), 0) as tf.Scalar;
          return { ...t, lossSum: tf.add(zero, 1) as tf.Scalar };
        },
      };
      await run(
        { weightDecay, learningRate: 0.1, maxSteps: 4, lrScheduler: 'constant', maxGradNorm: 0 },
        { model: noGrad },
      );
      const snap = m.snapshot();
      norms.push(Object.fromEntries([...snap].map(([k, v]) => [k, Math.hypot(...v)])));
      models.splice(0).forEach((x) => x.dispose());
    }
    expect(norms[1]['transformer.wte.weight']).toBeCloseTo(norms[0]['transformer.wte.weight'] * 0.95 ** 4, 4);
    expect(norms[1]['lm_head.weight']).toBeCloseTo(norms[0]['lm_head.weight'] * 0.95 ** 4, 4);
    expect(norms[1]['transformer.ln_f.weight']).toBe(norms[0]['transformer.ln_f.weight']);
    expect(norms[1]['lm_head.bias']).toBe(norms[0]['lm_head.bias']);
  });

  it('logs the pre-clip gradient norm; clipping changes the update, not the reported norm', async () => {
    const a = await run({ maxSteps: 1, maxGradNorm: 1e-4, adamEpsilon: 1 });
    const aw = (a.model as TinyLM).snapshot();
    const b = await run({ maxSteps: 1, maxGradNorm: 0, adamEpsilon: 1 });
    const bw = (b.model as TinyLM).snapshot();
    expect(a.steps[0].grad_norm).toBeCloseTo(b.steps[0].grad_norm, 5);
    expect(a.steps[0].grad_norm).toBeGreaterThan(1e-3);
    // with eps = 1 Adam's step is proportional to the gradient, so a clipped gradient moves the weights less
    const start = tinyModel().snapshot();
    expect(maxAbsDiff(aw, start)).toBeLessThan(maxAbsDiff(bw, start) / 10);
  });

  it('gradient accumulation: batch 8 ≡ 4 × 2, normalized by the tokens of the accumulated batch', async () => {
    const one = await run({ batchSize: 8, epochs: 2, weightDecay: 0.1 });
    const w8 = (one.model as TinyLM).snapshot();
    models.splice(0).forEach((m) => m.dispose());
    const two = await run({ batchSize: 4, gradientAccumulationSteps: 2, epochs: 2, weightDecay: 0.1 });
    const w42 = (two.model as TinyLM).snapshot();
    expect(two.result.globalStep).toBe(one.result.globalStep);
    expect(maxAbsDiff(w8, w42)).toBeLessThan(1e-5);
    one.steps.forEach((s, i) => {
      expect(two.steps[i].loss).toBeCloseTo(s.loss, 5);
      expect(two.steps[i].grad_norm).toBeCloseTo(s.grad_norm, 5);
    });
  });

  it('length-grouped batches still see every example each epoch', async () => {
    const seen: number[] = [];
    const source = tokenSource(trainSet);
    const { result } = await run(
      { groupByLength: true, batchSize: 4, epochs: 1, maxGradNorm: 1 },
      {
        train: {
          ...source,
          collate: (ex) => (seen.push(...ex.map((e) => trainSet.indexOf(e))), source.collate(ex)),
        },
      },
    );
    expect(result.globalStep).toBe(16);
    expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });
});

describe('train: early stopping, best checkpoint, signals', () => {
  it('stops after `patience` evaluations without improvement and keeps the best model', async () => {
    const out = tmp();
    // the validation split follows a contradicting mapping: learning the training task makes it worse
    const contradicting = permutationTask({ vocabSize: V, count: 32, seed: 5, mappingSeed: 99 });
    const { result, events } = await run(
      { epochs: 20, evalSteps: 2, earlyStoppingPatience: 3, saveTotalLimit: 2, learningRate: 2e-2 },
      { outDir: out, validation: tokenSource(contradicting) },
    );
    const evals = events.flatMap((e) => (e.type === 'eval' ? [e.record] : []));
    expect(result.status).toBe('early_stopped');
    expect(result.globalStep).toBeLessThan(160);
    const bestIdx = evals.findIndex((e) => e.step === result.best.step);
    expect(evals.length - 1 - bestIdx).toBe(3);
    expect(result.best.value).toBe(Math.min(...evals.map((e) => e.eval_loss)));
    expect(events.some((e) => e.type === 'early_stop')).toBe(true);
    // kept: the best checkpoint and the last; model/ holds the best weights
    const kept = listCheckpoints(out).map((c) => c.step);
    expect(kept).toContain(result.best.step);
    expect(kept).toContain(result.globalStep);
    expect(kept.length).toBeLessThanOrEqual(2);
    const bestW = readFloat32Tensors(path.join(out, `checkpoint-${result.best.step}`, WEIGHTS_FILE));
    const finalW = readFloat32Tensors(path.join(out, 'model', WEIGHTS_FILE));
    for (const [k, t] of bestW) expect(Array.from(finalW.get(k)!.data)).toEqual(Array.from(t.data));
    expect(fs.readdirSync(out).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('reports overfitting in words when validation loss rises while training loss falls', async () => {
    const contradicting = permutationTask({ vocabSize: V, count: 32, seed: 5, mappingSeed: 99 });
    const { result } = await run(
      { epochs: 6, evalSteps: 2, learningRate: 2e-2, signalWindow: 2 },
      { validation: tokenSource(contradicting) },
    );
    const overfit = result.signals.find((s) => s.kind === 'overfitting');
    expect(overfit?.message).toMatch(
      /possible overfitting: validation loss rose .* while training loss fell/,
    );
  });

  it('reports underfitting when the training loss stays flat', async () => {
    const { result } = await run(
      { epochs: 3, evalSteps: 2, learningRate: 1e-9, signalWindow: 2 },
      { validation: tokenSource(heldOut) },
    );
    expect(result.signals.map((s) => s.kind)).toContain('underfitting');
    expect(result.signals.find((s) => s.kind === 'underfitting')?.message).toMatch(
      /training loss stayed flat/,
    );
  });
});

/** Wraps the tiny model so a chosen call misbehaves. */
function faulty(model: TinyLM, failOnCall: number, fault: 'nan' | 'oom'): TrainableModel {
  let calls = 0;
  return {
    trainableVariables: model.trainableVariables,
    lossTerms(batch: CollatedBatch): LossTerms {
      calls += 1;
      if (calls === failOnCall && fault === 'oom')
        throw new Error('Failed to allocate 4294967296 bytes: out of memory');
      const t = model.lossTerms(batch);
      return calls === failOnCall ? { ...t, lossSum: tf.mul(t.lossSum, NaN) as tf.Scalar } : t;
    },
  };
}

describe('train: bad runs stop with a reason', () => {
  it('stops on a NaN loss, naming the step and the learning rate, without checkpointing it', async () => {
    const out = tmp();
    const err = await run(
      { maxSteps: 10, saveSteps: 2, learningRate: 1e-2, lrScheduler: 'constant' },
      { model: faulty(tinyModel(), 3, 'nan'), outDir: out },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingHaltedError);
    expect((err as TrainingHaltedError).reason).toBe('non_finite_loss');
    expect((err as Error).message).toMatch(/loss became NaN at step 3 \(learning rate 1\.000e-2\)/);
    expect(listCheckpoints(out).map((c) => c.step)).toEqual([2]);
  });

  it('stops on a batch with no trainable token', async () => {
    const masked = trainSet.map((e, i) => (i < 8 ? { ...e, labels: e.labels.map(() => -100) } : e));
    const err = await run({ batchSize: 64, maxSteps: 1 }, { train: tokenSource(masked.slice(0, 8)) }).catch(
      (e: unknown) => e,
    );
    expect((err as TrainingHaltedError).reason).toBe('no_trainable_tokens');
    expect((err as Error).message).toMatch(/has no trainable token/);
  });

  it('turns an allocation failure into advice on batch size and accumulation', async () => {
    const err = await run({ maxSteps: 4 }, { model: faulty(tinyModel(), 2, 'oom') }).catch((e: unknown) => e);
    expect((err as TrainingHaltedError).reason).toBe('out_of_memory');
    expect((err as Error).message).toMatch(
      /out of memory at step 2 .*smaller --batch-size with a larger --gradient-accumulation-steps/,
    );
  });
});

describe('train: checkpoints and exact resume', () => {
  const args: Partial<TrainingArguments> = {
    epochs: 3,
    batchSize: 6,
    gradientAccumulationSteps: 2,
    weightDecay: 0.05,
    warmupSteps: 3,
    lrScheduler: 'cosine',
    learningRate: 2e-2,
    evalSteps: 4,
    earlyStoppingPatience: 50,
    saveSteps: 5,
  };

  it('a run stopped after step k and resumed ends where an unbroken run ends', async () => {
    const unbrokenOut = tmp();
    const unbroken = await run(args, { outDir: unbrokenOut, validation: tokenSource(heldOut) });
    const expected = (unbroken.model as TinyLM).snapshot();
    models.splice(0).forEach((m) => m.dispose());

    const out = tmp();
    const controller = new AbortController();
    const first = await run(args, {
      outDir: out,
      validation: tokenSource(heldOut),
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'step' && e.record.step === 7) controller.abort();
      },
    });
    expect(first.result.status).toBe('interrupted');
    expect(listCheckpoints(out).map((c) => c.step)).toContain(7);
    // a kill after step 9 without a checkpoint: resume continues from the newest checkpoint
    fs.appendFileSync(path.join(out, 'metrics.jsonl'), '{"step": 9, "loss": 1}\n');
    models.splice(0).forEach((m) => m.dispose());

    const resumed = await run(args, {
      outDir: out,
      validation: tokenSource(heldOut),
      resume: true,
      model: tinyModel(123),
    });
    expect(resumed.steps[0].step).toBe(8);
    expect(resumed.result.globalStep).toBe(unbroken.result.globalStep);
    expect(maxAbsDiff((resumed.model as TinyLM).snapshot(), expected)).toBe(0); // bit for bit on one backend
    const metrics = (dir: string): Array<Record<string, number>> =>
      fs
        .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const strip = (r: Record<string, number>): Record<string, number> => ({ ...r, tokens_per_second: 0 });
    expect(metrics(out).map(strip)).toEqual(metrics(unbrokenOut).map(strip));
    const state = readTrainerState(path.join(out, `checkpoint-${resumed.result.globalStep}`));
    expect(state.scheduler.step).toBe(resumed.result.globalStep);
  });

  it('refuses to resume when the data order would differ', async () => {
    const out = tmp();
    await run({ maxSteps: 2, saveSteps: 2 }, { outDir: out });
    const err = await run(
      { maxSteps: 4, batchSize: 4 },
      { outDir: out, resume: true, model: tinyModel(9) },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/cannot resume exactly .*batchSize was 8, now 4/);
  });

  it('prunes to save-total-limit and writes checkpoints atomically with all their parts', async () => {
    const out = tmp();
    await run({ maxSteps: 9, saveSteps: 2, saveTotalLimit: 2 }, { outDir: out });
    expect(listCheckpoints(out).map((c) => c.step)).toEqual([8, 9]);
    expect(fs.readdirSync(path.join(out, 'checkpoint-9')).sort()).toEqual(
      ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'training_args.json'].sort(),
    );
    expect(fs.readdirSync(out).sort()).toEqual([
      'checkpoint-8',
      'checkpoint-9',
      'metrics.jsonl',
      'model',
      'training_summary.json',
    ]);
  });
});

describe('train: memory', () => {
  it('keeps the tensor count flat over 200 steps with evaluation and logging', async () => {
    const model = tinyModel();
    const before = tf.memory().numTensors;
    const counts = new Map<number, number>();
    await run(
      { maxSteps: 200, batchSize: 4, gradientAccumulationSteps: 2, evalSteps: 50, loggingSteps: 1 },
      {
        model,
        validation: tokenSource(heldOut.slice(0, 8)),
        onEvent: (e) => void (e.type === 'step' && counts.set(e.record.step, tf.memory().numTensors)),
      },
    );
    expect(counts.get(200)).toBe(counts.get(10));
    expect(tf.memory().numTensors).toBe(before);
  });
});
