// Evaluation of a fine-tuned model on the held-out test split, beside its baselines: the majority
// label, the model before fine-tuning and any other models, compared by paired bootstrap. Adds the
// error analysis and qualitative samples and returns everything as eval.json's content.
import { SeededRandom } from '@ftune/common';
import { largestConfusions, lengthBuckets, worstIndices, type PerExample } from './analysis/errors';
import { detectTask, distinctCompletions, majorityLabel, type EvalExample, type Task } from './data/examples';
import { DEFINITIONS } from './definitions';
import { runModel, type ModelRun, type ModelRunOptions } from './evaluate-model';
import { classificationMetrics } from './metrics/classification';
import { exampleLoss } from './metrics/lm';
import type { BaselineResult, EvalResult, Sample, WorstExample } from './result';
import type { EvalModel, GenerateOptions } from './scoring/scorer';
import { pairedBootstrap } from './stats/bootstrap';

export interface EvaluateOptions {
  /** 'auto' (default) detects classification-style data from the completions. */
  task?: Task | 'auto';
  /** Candidate labels; default: the distinct completions of the test split and `trainCompletions`. */
  labels?: string[];
  /** Completions of the training split: widen the label set and give the majority label. */
  trainCompletions?: string[];
  /** Qualitative samples (default 5). */
  samples?: number;
  /** Seed for the bootstrap, the sample choice and sampled generation (default 0). */
  seed?: number;
  /** Bootstrap resamples (default 1000) and confidence (default 0.95). */
  bootstrapResamples?: number;
  confidence?: number;
  /** Equal-width calibration bins (default 10). */
  calibrationBins?: number;
  /** Worst examples listed (default 10) and input-length buckets (default 4). */
  worstExamples?: number;
  lengthBuckets?: number;
  /** Requests per scorer call (default 16). */
  scoreBatchSize?: number;
  /** New tokens per generation (default 64) and the most examples to generate for (default 200). */
  maxNewTokens?: number;
  /** Greedy generations per model for the share that ended on EOS (default 20, at most the examples). */
  stopPrompts?: number;
  maxGenerations?: number;
  /** Sampling settings for the sampled column of the samples (default temperature 0.8, top-k 50, top-p 0.95). */
  sampling?: { temperature: number; topK: number; topP: number };
  progress?: (stage: string, done: number, total: number) => void;
}

export interface EvaluateInput {
  examples: EvalExample[];
  model: EvalModel;
  /** The model before fine-tuning. */
  start?: EvalModel;
  baselines?: EvalModel[];
}

function resolveTask(examples: readonly EvalExample[], options: EvaluateOptions): Task {
  if (options.task && options.task !== 'auto') return options.task;
  if (options.labels) return 'classification';
  // the training completions too: a small test split says little about how many labels there are
  return detectTask([
    ...examples,
    ...(options.trainCompletions ?? []).map((completion) => ({ prompt: '', completion })),
  ]);
}

function resolveLabels(examples: readonly EvalExample[], options: EvaluateOptions): string[] {
  const labels =
    options.labels ??
    distinctCompletions([
      ...examples,
      ...(options.trainCompletions ?? []).map((completion) => ({ prompt: '', completion })),
    ]);
  if (labels.length === 0)
    throw new Error('the label set is empty: classification needs at least one candidate label');
  const unknown = examples.find((e) => !labels.includes(e.completion));
  if (unknown)
    throw new Error(
      `test completion ${JSON.stringify(unknown.completion)} is not one of the candidate labels`,
    );
  return labels;
}

function majorityBaseline(
  examples: readonly EvalExample[],
  labels: string[],
  trainCompletions: readonly string[] | undefined,
  main: ModelRun,
  options: Required<Pick<EvaluateOptions, 'seed' | 'bootstrapResamples' | 'confidence'>>,
): BaselineResult {
  const gold = examples.map((e) => e.completion);
  const source = trainCompletions && trainCompletions.length > 0 ? trainCompletions : gold;
  const label = majorityLabel(source, labels);
  const metrics = classificationMetrics(
    gold,
    gold.map(() => label),
    labels,
  );
  const primary = gold.map((g) => (g === label ? 1 : 0));
  return {
    name: `majority label (${label.trim()})`,
    kind: 'majority',
    label,
    accuracy: metrics.accuracy,
    macro_f1: metrics.macro_f1,
    comparison: compare(main.primary, primary, 'accuracy', options),
  };
}

function compare(
  main: number[] | undefined,
  other: number[] | undefined,
  metric: 'accuracy' | 'token_f1',
  options: Required<Pick<EvaluateOptions, 'seed' | 'bootstrapResamples' | 'confidence'>>,
): BaselineResult['comparison'] {
  if (!main || !other || main.length === 0 || main.length !== other.length) return undefined;
  return {
    metric,
    ...pairedBootstrap(main, other, {
      resamples: options.bootstrapResamples,
      confidence: options.confidence,
      seed: options.seed,
    }),
  };
}

function modelBaseline(
  run: ModelRun,
  kind: 'start' | 'model',
  main: ModelRun,
  task: Task,
  options: Required<Pick<EvaluateOptions, 'seed' | 'bootstrapResamples' | 'confidence'>>,
): BaselineResult {
  const r = run.result;
  const out: BaselineResult = { name: r.name, kind, loss: r.lm.loss, perplexity: r.lm.perplexity };
  if (r.classification) {
    out.accuracy = r.classification.accuracy;
    out.macro_f1 = r.classification.macro_f1;
  }
  if (r.generation) out.token_f1 = r.generation.token_f1;
  out.comparison = compare(
    main.primary,
    run.primary,
    task === 'classification' ? 'accuracy' : 'token_f1',
    options,
  );
  return out;
}

function worstExamples(
  examples: readonly EvalExample[],
  labels: readonly string[],
  main: ModelRun,
  limit: number,
): { by: EvalResult['analysis']['worst_by']; items: WorstExample[] } {
  const losses = main.scores.map(exampleLoss);
  const base = (i: number): WorstExample => ({
    index: i,
    line: examples[i].line,
    prompt: examples[i].prompt,
    reference: examples[i].completion,
    loss: losses[i],
  });
  if (main.predictions) {
    const preds = main.predictions;
    const refProb = preds.map((p, i) => p.probabilities[labels.indexOf(examples[i].completion)]);
    return {
      by: 'reference_probability',
      items: worstIndices(refProb, limit).map((i) => ({
        ...base(i),
        prediction: preds[i].label,
        reference_probability: refProb[i],
      })),
    };
  }
  if (main.generations && main.primary) {
    const f1 = main.primary;
    const gens = main.generations;
    return {
      by: 'token_f1',
      items: worstIndices(f1, limit).map((i) => ({ ...base(i), prediction: gens[i], token_f1: f1[i] })),
    };
  }
  return {
    by: 'loss',
    items: worstIndices(
      losses.map((l) => (l === null ? null : -l)),
      limit,
    ).map(base),
  };
}

async function samples(
  examples: readonly EvalExample[],
  model: EvalModel,
  n: number,
  seed: number,
  greedy: GenerateOptions,
  sampled: GenerateOptions,
): Promise<Sample[]> {
  const generator = model.generator;
  if (!generator || n <= 0) return [];
  const picked = new SeededRandom(seed)
    .shuffle(examples.map((_, i) => i))
    .slice(0, n)
    .sort((a, b) => a - b);
  const out: Sample[] = [];
  for (const [k, i] of picked.entries()) {
    const e = examples[i];
    out.push({
      index: i,
      line: e.line,
      prompt: e.prompt,
      reference: e.completion,
      greedy: await generator.generate(e.prompt, greedy),
      sampled: await generator.generate(e.prompt, { ...sampled, seed: seed + k }),
    });
  }
  return out;
}

/**
 * The share of greedy generations the model ended itself (EOS before maxNewTokens) on the first `n`
 * test prompts in the seeded order the samples use; null when its generator cannot tell.
 */
async function stoppedShare(
  model: EvalModel,
  examples: readonly EvalExample[],
  n: number,
  seed: number,
  greedy: GenerateOptions,
): Promise<number | null> {
  const generator = model.generator;
  if (!generator?.generateWithEnd || n <= 0) return null;
  const picked = new SeededRandom(seed).shuffle(examples.map((_, i) => i)).slice(0, n);
  let stopped = 0;
  for (const i of picked) if ((await generator.generateWithEnd(examples[i].prompt, greedy)).stopped) stopped += 1;
  return stopped / picked.length;
}

/** Evaluates `input.model` on `input.examples` beside its baselines; the result is eval.json. */
export async function evaluate(input: EvaluateInput, options: EvaluateOptions = {}): Promise<EvalResult> {
  const { examples } = input;
  if (examples.length === 0) throw new Error('the test split has no example');
  const seed = options.seed ?? 0;
  const stat = {
    seed,
    bootstrapResamples: options.bootstrapResamples ?? 1000,
    confidence: options.confidence ?? 0.95,
  };
  const task = resolveTask(examples, options);
  const labels = task === 'classification' ? resolveLabels(examples, options) : [];
  const greedy: GenerateOptions = { maxNewTokens: options.maxNewTokens ?? 64 };
  const sampling = options.sampling ?? { temperature: 0.8, topK: 50, topP: 0.95 };
  const sampled: GenerateOptions = { maxNewTokens: greedy.maxNewTokens, ...sampling, seed };
  const runOptions: ModelRunOptions = {
    task,
    labels,
    calibrationBins: options.calibrationBins ?? 10,
    scoreBatchSize: options.scoreBatchSize ?? 16,
    greedy,
    maxGenerations: options.maxGenerations ?? 200,
    progress: options.progress,
  };

  const main = await runModel(input.model, examples, runOptions);
  const baselines: BaselineResult[] = [];
  if (task === 'classification')
    baselines.push(majorityBaseline(examples, labels, options.trainCompletions, main, stat));
  let startRun: ModelRun | undefined;
  if (input.start) {
    startRun = await runModel(input.start, examples, runOptions);
    baselines.push(modelBaseline(startRun, 'start', main, task, stat));
  }
  for (const other of input.baselines ?? [])
    baselines.push(modelBaseline(await runModel(other, examples, runOptions), 'model', main, task, stat));

  const per: PerExample[] = main.scores.map((s, i) => ({
    promptTokens: s.promptTokens,
    nll: -s.logProbs.reduce((a, b) => a + b, 0),
    tokens: s.logProbs.length,
    correct: main.predictions ? main.predictions[i].label === examples[i].completion : undefined,
    tokenF1: main.generations && main.primary && i < main.primary.length ? main.primary[i] : undefined,
  }));
  const worst = worstExamples(examples, labels, main, options.worstExamples ?? 10);
  const cls = main.result.classification;
  const stopPrompts = Math.min(examples.length, options.stopPrompts ?? 20);
  const stopAfter = await stoppedShare(input.model, examples, stopPrompts, seed, greedy);
  const stopBefore = input.start
    ? await stoppedShare(input.start, examples, stopPrompts, seed, greedy)
    : null;
  const result: EvalResult = {
    schema: 'ftune.eval/1',
    split: 'test',
    task,
    examples: examples.length,
    model: input.model.name,
    seed,
    loss: main.result.lm.loss,
    perplexity: main.result.lm.perplexity,
    token_accuracy: main.result.lm.token_accuracy,
    ...(cls ? { accuracy: cls.accuracy, macro_f1: cls.macro_f1 } : {}),
    ...(baselines[0]?.kind === 'majority' ? { baseline_accuracy: baselines[0].accuracy } : {}),
    ...(startRun?.result.classification ? { start_accuracy: startRun.result.classification.accuracy } : {}),
    ...(task === 'classification' ? { labels } : {}),
    lm: main.result.lm,
    ...(cls ? { classification: cls } : {}),
    ...(main.result.generation ? { generation: main.result.generation } : {}),
    baselines,
    analysis: {
      worst_by: worst.by,
      worst_examples: worst.items,
      by_length: lengthBuckets(per, options.lengthBuckets ?? 4),
      ...(cls ? { top_confusions: largestConfusions(cls.confusion, labels) } : {}),
    },
    ...(stopAfter === null
      ? {}
      : {
          stopping: {
            prompts: stopPrompts,
            max_new_tokens: greedy.maxNewTokens,
            model: stopAfter,
            ...(stopBefore === null ? {} : { start: stopBefore }),
          },
        }),
    samples: {
      greedy,
      sampled,
      items: await samples(examples, input.model, options.samples ?? 5, seed, greedy, sampled),
    },
    definitions: DEFINITIONS,
  };
  return result;
}
