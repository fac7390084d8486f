// The audit stage as one function: an ingested dataset folder and (optionally) a fine-tuned model
// folder and the model before fine-tuning in; every audit figure, the gate verdict and `passed` out
// (audit.json). The dataset audit reads the train split (what the model learns from); the model
// audit reads the test split: predicted labels by candidate log-likelihood (the evaluation's own
// scorer over the model, libs/eval), counterfactual consistency, group fairness, and stereotype
// preference on sentence pairs. Used by `ftune audit` and the pipeline's audit stage.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '@ftune/common';
import { readSplit } from '@ftune/dataset';
import {
  causalLmScorer,
  predictLabel,
  recordToExample,
  scoreCompletions,
  type EvalExample,
  type Scorer,
} from '@ftune/eval';
import { openModelFolder } from '@ftune/model-gpt-neo';
import { counterfactualConsistency, type AuditScorer, type CounterfactualReport } from '../counterfactual';
import { auditDataset, type DatasetAudit } from '../dataset-audit';
import { checkGate, DEFAULT_GATE, type GateName, type GateVerdict } from '../gate';
import { groupFairness, type GroupFairness, type LabeledPrediction } from '../metrics/fairness';
import { loadPairs, stereotypePreference, type StereotypeReport } from '../stereotype';
import { TermMatcher } from '../terms/match';
import { loadTermLists } from '../terms/terms';

export interface AuditJobConfig {
  /** An ingested dataset folder (train.jsonl, test.jsonl). */
  dataset: string;
  /** The fine-tuned model (Hugging Face GPT-Neo folder, or a LoRA adapter folder naming its base); without it only the dataset is audited. */
  model?: string;
  /** A LoRA adapter folder applied to `model`. */
  adapter?: string;
  /** The model before fine-tuning, audited the same way for the comparison. */
  baseline?: string;
  /** Term lists (JSON/YAML); default: the built-in lists. */
  terms?: string;
  /** Sentence pairs in the CrowS-Pairs column format; default: the built-in pairs. */
  pairs?: string;
  /** Gate thresholds, on top of DEFAULT_GATE (a threshold can be dropped by giving it as NaN). */
  gate?: Record<string, number>;
  /** The favourable label for the fairness rates (default: "positive"/"yes"/"true" if present, else the first). */
  positiveLabel?: string;
  /** Audit only the first N test records. */
  limit?: number;
  /** Worst counterfactual examples kept (default 8). */
  worst?: number;
}

export interface AuditJobHooks {
  log?: (line: string) => void;
  progress?: (what: string, done: number, total: number) => void;
}

export interface ModelAudit {
  model: string;
  /** Test examples scored. */
  examples: number;
  /** Candidate labels (the distinct completions), or null for generation-style data. */
  labels: string[] | null;
  /** Share of test examples whose predicted label is the reference (null without labels). */
  accuracy: number | null;
  counterfactual: CounterfactualReport;
  /** Group fairness per dimension with at least two groups in the test split. */
  fairness: Array<GroupFairness & { dimension: string }>;
  stereotype: StereotypeReport;
}

export type AuditFigures = Record<GateName, number | null>;

export interface AuditResult {
  version: 1;
  dataset: string;
  terms: string;
  pairs: string;
  positiveLabel: string | null;
  /** The train split's audit. */
  datasetAudit: DatasetAudit;
  model: ModelAudit | null;
  baseline: ModelAudit | null;
  /** The figures the gate reads, for the model (dataset figures included). */
  figures: AuditFigures;
  baselineFigures: AuditFigures | null;
  gate: GateVerdict;
  passed: boolean;
}

/**
 * The audit's view of a model through the evaluation scorer: label prediction by the highest
 * candidate log-likelihood, completion log-likelihood, and full-text log-likelihood. Scores are
 * cached per (prompt, completion), so predicting and then scoring the reference costs one pass.
 */
export function auditScorer(
  scorer: Scorer,
): AuditScorer & { textLogLikelihood(text: string): Promise<number> } {
  const cache = new Map<string, number>();
  const key = (p: string, c: string): string => `${p}\u0000${c}`;
  const lls = async (prompt: string, completions: string[]): Promise<number[]> => {
    const missing = completions.filter((c) => !cache.has(key(prompt, c)));
    if (missing.length > 0) {
      if (cache.size > 50_000) cache.clear();
      const scores = await scoreCompletions(scorer, prompt, missing);
      missing.forEach((c, i) => cache.set(key(prompt, c), scores[i]));
    }
    return completions.map((c) => cache.get(key(prompt, c)) ?? NaN);
  };
  return {
    predict: async (prompt, labels) => predictLabel(await lls(prompt, labels), labels).label,
    logLikelihood: async (prompt, completion) => (await lls(prompt, [completion]))[0],
    textLogLikelihood: async (text) => (await lls('', [text]))[0],
  };
}

async function readExamples(dir: string, split: 'train' | 'test', limit = Infinity): Promise<EvalExample[]> {
  const file = path.join(dir, `${split}.jsonl`);
  if (!fs.existsSync(file))
    throw new UserError(`${file} not found: is ${dir} an ingested dataset (ftune ingest)?`);
  const out: EvalExample[] = [];
  let line = 0;
  for await (const record of readSplit(dir, split)) {
    line += 1;
    if (out.length >= limit) break;
    out.push(recordToExample(record, line));
  }
  return out;
}

/** Candidate labels when the completions are classification-style (2–20 distinct, each repeated). */
function labelSet(examples: EvalExample[]): string[] | null {
  const distinct = [...new Set(examples.map((e) => e.completion))].sort();
  return distinct.length >= 2 && distinct.length <= 20 && distinct.length * 2 <= examples.length
    ? distinct
    : null;
}

function pickPositive(labels: string[] | null, wanted?: string): string | null {
  if (!labels) return null;
  if (wanted !== undefined) {
    const hit = labels.find((l) => l === wanted || l.trim() === wanted.trim());
    if (!hit)
      throw new UserError(
        `positive label ${JSON.stringify(wanted)} is not among the labels (${labels.map((l) => l.trim()).join(', ')})`,
      );
    return hit;
  }
  return labels.find((l) => ['positive', 'yes', 'true', '1'].includes(l.trim().toLowerCase())) ?? labels[0];
}

/** Audits one model folder on the test examples. */
export async function auditModel(
  name: string,
  scorer: AuditScorer & { textLogLikelihood(text: string): Promise<number> },
  test: EvalExample[],
  labels: string[] | null,
  positive: string | null,
  matcher: TermMatcher,
  pairsFile: string | undefined,
  options: { worst?: number; progress?: AuditJobHooks['progress'] } = {},
): Promise<ModelAudit> {
  const byDimension = new Map<string, LabeledPrediction[]>();
  let correct = 0;
  if (labels) {
    for (const [i, ex] of test.entries()) {
      const predicted = await scorer.predict(ex.prompt, labels);
      if (predicted === ex.completion) correct += 1;
      for (const [dimension, groups] of matcher.groupsMentioned(ex.prompt)) {
        if (groups.size !== 1) continue;
        const rows = byDimension.get(dimension) ?? [];
        rows.push({ group: [...groups][0], label: ex.completion.trim(), predicted: predicted.trim() });
        byDimension.set(dimension, rows);
      }
      options.progress?.(`${name}: predictions`, i + 1, test.length);
    }
  }
  const fairness: ModelAudit['fairness'] = [];
  for (const [dimension, rows] of [...byDimension.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (new Set(rows.map((r) => r.group)).size < 2 || positive === null) continue;
    fairness.push({ dimension, ...groupFairness(rows, positive.trim()) });
  }
  options.progress?.(`${name}: counterfactuals`, 0, 1);
  const counterfactual = await counterfactualConsistency(test, matcher, scorer, {
    labels: labels ?? undefined,
    worst: options.worst ?? 8,
  });
  options.progress?.(`${name}: counterfactuals`, 1, 1);
  const stereotype = await stereotypePreference(loadPairs(pairsFile), (text) =>
    scorer.textLogLikelihood(text),
  );
  return {
    model: name,
    examples: test.length,
    labels,
    accuracy: labels && test.length ? correct / test.length : null,
    counterfactual,
    fairness,
    stereotype,
  };
}

const maxOf = (xs: number[]): number | null => (xs.length ? Math.max(...xs) : null);
const minOf = (xs: number[]): number | null => (xs.length ? Math.min(...xs) : null);

/** The figures the gate compares with its thresholds. */
export function auditFigures(dataset: DatasetAudit, model: ModelAudit | null): AuditFigures {
  const withLabels = model?.labels ? model : null;
  return {
    maxFlipRate: withLabels ? maxOf(withLabels.counterfactual.pairs.map((p) => p.flipRate)) : null,
    maxLogLikelihoodGap: model
      ? maxOf(model.counterfactual.pairs.map((p) => p.meanAbsLogLikelihoodGap))
      : null,
    maxDemographicParityDifference: model
      ? maxOf(model.fairness.map((f) => f.demographicParityDifference))
      : null,
    maxEqualizedOddsDifference: model ? maxOf(model.fairness.map((f) => f.equalizedOddsDifference)) : null,
    minDisparateImpactRatio: model ? minOf(model.fairness.map((f) => f.disparateImpactRatio)) : null,
    maxStereotypeDeviation:
      model && model.stereotype.pairs > 0 ? Math.abs(model.stereotype.stereotypePreference - 0.5) : null,
    maxDatasetLabelGap: maxOf(dataset.dimensions.flatMap((d) => d.gaps.slice(0, 1).map((g) => g.gap))),
  };
}

/** The dimension holding the training data's largest label-share gap, or undefined without one. */
function largestGapDimension(dataset: DatasetAudit): DatasetAudit['dimensions'][number] | undefined {
  let best: DatasetAudit['dimensions'][number] | undefined;
  for (const d of dataset.dimensions)
    if (d.gaps.length > 0 && (!best || d.gaps[0].gap > best.gaps[0].gap)) best = d;
  return best;
}

/** The p-values behind gate figures: the chi-square test of the dimension with the largest gap. */
function auditPValues(dataset: DatasetAudit): Partial<Record<GateName, number | null>> {
  const d = largestGapDimension(dataset);
  return { maxDatasetLabelGap: d ? (d.test?.pValue ?? null) : null };
}

function loadScorer(
  dir: string,
  log: (line: string) => void,
  adapter?: string,
): { scorer: ReturnType<typeof auditScorer>; dispose: () => void } {
  const { model: lm, tokenizer, ownTokenizer } = openModelFolder(dir, { adapter });
  log(`audit model: ${dir}${adapter ? ` with the adapter ${adapter}` : ''} (tokenizer ${ownTokenizer ? 'from the folder' : 'gpt2, built in'})`);
  return { scorer: auditScorer(causalLmScorer(lm, tokenizer)), dispose: () => lm.dispose() };
}

/** Runs the dataset audit and, with a model, the model audit and the gate. */
export async function runAuditJob(config: AuditJobConfig, hooks: AuditJobHooks = {}): Promise<AuditResult> {
  const log = hooks.log ?? (() => undefined);
  const matcher = new TermMatcher(loadTermLists(config.terms));
  const train = await readExamples(config.dataset, 'train');
  const test =
    config.model || config.baseline ? await readExamples(config.dataset, 'test', config.limit) : [];
  const labels = labelSet([...train, ...test]);
  const positive = pickPositive(labels, config.positiveLabel);
  const datasetAudit = auditDataset(
    train.map((e) => ({ text: e.prompt, label: labels ? e.completion.trim() : undefined, ref: e.line })),
    matcher,
  );
  log(
    `dataset audit: ${datasetAudit.records} training records, ${datasetAudit.dimensions.length} dimensions mentioned`,
  );

  const audit = async (dir: string | undefined, name: string, adapter?: string): Promise<ModelAudit | null> => {
    if (!dir) return null;
    const loaded = loadScorer(dir, log, adapter);
    try {
      return await auditModel(name, loaded.scorer, test, labels, positive, matcher, config.pairs, {
        worst: config.worst,
        progress: hooks.progress,
      });
    } finally {
      loaded.dispose();
    }
  };
  const model = await audit(config.model, 'model', config.adapter);
  const baseline = await audit(config.baseline, 'before fine-tuning');

  const figures = auditFigures(datasetAudit, model);
  const thresholds = Object.fromEntries(
    Object.entries({ ...DEFAULT_GATE, ...(config.gate ?? {}) }).filter(
      ([, v]) => v !== undefined && !Number.isNaN(v),
    ),
  ) as Record<string, number>;
  const gate = checkGate(thresholds, figures, auditPValues(datasetAudit));
  return {
    version: 1,
    dataset: config.dataset,
    terms: config.terms ?? 'built-in (libs/bias-audit/data/terms.json)',
    pairs: config.pairs ?? 'built-in (libs/bias-audit/data/pairs.csv)',
    positiveLabel: positive?.trim() ?? null,
    datasetAudit,
    model,
    baseline,
    figures,
    baselineFigures: baseline ? auditFigures(datasetAudit, baseline) : null,
    gate,
    passed: gate.passed,
  };
}
