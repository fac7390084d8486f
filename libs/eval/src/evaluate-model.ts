// Scores one model on the evaluation examples: completion-token LM metrics, likelihood-based label
// prediction (classification data) and greedy-generation metrics (open-ended data). Requests go to
// the scorer in batches; for classification data the reference completion is one of the candidate
// labels, so its token scores come from the same call.
import type { EvalExample, Task } from './data/examples';
import { expectedCalibrationError } from './metrics/calibration';
import { classificationMetrics } from './metrics/classification';
import { corpusBleu } from './metrics/generation/bleu';
import { rougeL } from './metrics/generation/rouge';
import { exactMatch, tokenF1 } from './metrics/generation/squad';
import { lmMetrics } from './metrics/lm';
import type { GenerationMetrics, ModelResult } from './result';
import { predictLabel, type LabelPrediction } from './scoring/label-scoring';
import {
  logLikelihood,
  type EvalModel,
  type GenerateOptions,
  type ScoreRequest,
  type TokenScores,
} from './scoring/scorer';

export interface ModelRunOptions {
  task: Task;
  labels: string[];
  calibrationBins: number;
  scoreBatchSize: number;
  greedy: GenerateOptions;
  /** Generate for at most this many examples (generation data). */
  maxGenerations: number;
  progress?: (stage: string, done: number, total: number) => void;
}

/** Per-example figures kept for analysis, baselines and the bootstrap. */
export interface ModelRun {
  result: ModelResult;
  scores: TokenScores[];
  predictions?: LabelPrediction[];
  generations?: string[];
  /** Per-example primary score: 1/0 correctness (classification) or token F1 (generation). */
  primary?: number[];
}

async function scoreAll(
  model: EvalModel,
  requests: ScoreRequest[],
  options: ModelRunOptions,
  batchSize = options.scoreBatchSize,
): Promise<TokenScores[]> {
  const out: TokenScores[] = [];
  for (let i = 0; i < requests.length; i += batchSize) {
    const batch = requests.slice(i, i + batchSize);
    const scores = await model.scorer.score(batch);
    if (scores.length !== batch.length)
      throw new Error(`${model.name}: scorer returned ${scores.length} results for ${batch.length} requests`);
    out.push(...scores);
    options.progress?.(
      `${model.name}: scoring`,
      Math.min(i + batch.length, requests.length),
      requests.length,
    );
  }
  return out;
}

async function classify(
  model: EvalModel,
  examples: readonly EvalExample[],
  options: ModelRunOptions,
): Promise<ModelRun> {
  const { labels } = options;
  const requests = examples.flatMap((e) => labels.map((completion) => ({ prompt: e.prompt, completion })));
  // whole examples per call, so a scorer can share work between one prompt's candidates
  const perCall = Math.max(1, Math.round(options.scoreBatchSize / labels.length)) * labels.length;
  const all = await scoreAll(model, requests, options, perCall);
  const predictions: LabelPrediction[] = [];
  const scores: TokenScores[] = [];
  examples.forEach((e, i) => {
    const own = all.slice(i * labels.length, (i + 1) * labels.length);
    predictions.push(predictLabel(own.map(logLikelihood), labels));
    scores.push(own[labels.indexOf(e.completion)]);
  });
  const gold = examples.map((e) => e.completion);
  const metrics = classificationMetrics(
    gold,
    predictions.map((p) => p.label),
    labels,
  );
  const correct = predictions.map((p, i) => p.label === gold[i]);
  const calibration = expectedCalibrationError(
    predictions.map((p) => p.confidence),
    correct,
    options.calibrationBins,
  );
  return {
    result: { name: model.name, lm: lmMetrics(scores), classification: { ...metrics, calibration } },
    scores,
    predictions,
    primary: correct.map((c) => (c ? 1 : 0)),
  };
}

async function generateAll(
  model: EvalModel,
  examples: readonly EvalExample[],
  options: ModelRunOptions,
): Promise<{ metrics: GenerationMetrics; generations: string[]; f1: number[] } | undefined> {
  const generator = model.generator;
  if (!generator) return undefined;
  const subset = examples.slice(0, options.maxGenerations);
  const generations: string[] = [];
  for (const e of subset) {
    generations.push(await generator.generate(e.prompt, options.greedy));
    options.progress?.(`${model.name}: generating`, generations.length, subset.length);
  }
  const refs = subset.map((e) => e.completion);
  const f1 = generations.map((g, i) => tokenF1(g, refs[i]));
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    generations,
    f1,
    metrics: {
      examples: subset.length,
      exact_match: mean(generations.map((g, i) => exactMatch(g, refs[i]))),
      token_f1: mean(f1),
      rouge_l: mean(generations.map((g, i) => rougeL(g, refs[i]).fmeasure)),
      bleu: corpusBleu(generations, refs),
      decoding: options.greedy,
    },
  };
}

/** Every figure of one model on the examples. */
export async function runModel(
  model: EvalModel,
  examples: readonly EvalExample[],
  options: ModelRunOptions,
): Promise<ModelRun> {
  if (options.task === 'classification') return classify(model, examples, options);
  const scores = await scoreAll(
    model,
    examples.map((e) => ({ prompt: e.prompt, completion: e.completion })),
    options,
  );
  const run: ModelRun = { result: { name: model.name, lm: lmMetrics(scores) }, scores };
  const gen = await generateAll(model, examples, options);
  if (gen) {
    run.result.generation = gen.metrics;
    run.generations = gen.generations;
    run.primary = gen.f1;
  }
  return run;
}
