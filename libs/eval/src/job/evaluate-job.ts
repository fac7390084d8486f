// The evaluate stage as one function: a fine-tuned model folder and an ingested dataset folder in,
// eval.json and report.html out. Test records become examples through the training template; the
// model, the model before fine-tuning and baseline folders are loaded with their tokenizers and
// scored by evaluate(). Used by `ftune evaluate` and the evaluate service; the caller picks the
// compute backend (hooks.beforeModels runs once the inputs are known to be good).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '@ftune/common';
import {
  chatSpecialTokens,
  chooseChatTemplate,
  readManifest,
  readSplit,
  type JsonObject,
} from '@ftune/dataset';
import { openModelFolder, ownTokenizerDir } from '@ftune/model-gpt-neo';
import { loadTokenizer, readChatTemplates } from '@ftune/tokenizer';
import { causalLmEvalModel } from '../adapters/causal-lm';
import { chatRecordToExample, recordToExample, type EvalExample, type Task } from '../data/examples';
import { evaluate, type EvaluateOptions } from '../evaluate';
import { evalSections } from '../report/eval-section';
import { renderReport } from '../report/page';
import { parseMetricsLog } from '../report/training-curves';
import type { EvalResult } from '../result';
import type { EvalModel } from '../scoring/scorer';

export interface EvaluateJobConfig {
  /** The fine-tuned model: a Hugging Face GPT-Neo folder, or a LoRA adapter folder naming its base. */
  model: string;
  /** A LoRA adapter folder applied to `model` (then the base). */
  adapter?: string;
  /** An ingested dataset folder (manifest.json, test.jsonl, train.jsonl). */
  dataset: string;
  out: string;
  /** The model before fine-tuning. */
  start?: string;
  baselines?: string[];
  /** Split prompt and completion after the last occurrence of this text (default: the dataset template's). */
  responseTemplate?: string;
  /** A chat template file, or a template name of the model's tokenizer folder (default: the folder's own). */
  chatTemplate?: string;
  task?: Task | 'auto';
  labels?: string[];
  /** Training log for the report's curves (default: metrics.jsonl beside or inside the model folder). */
  metrics?: string;
  /** Evaluate only the first N test records. */
  limit?: number;
  options?: Omit<EvaluateOptions, 'task' | 'labels' | 'trainCompletions' | 'progress'>;
}

export interface EvaluateJobHooks {
  log?: (line: string) => void;
  /** Runs after the inputs are checked and before any model loads (e.g. choosing the compute backend). */
  beforeModels?: () => Promise<void>;
  progress?: (stage: string, done: number, total: number) => void;
}

export interface EvaluateJobResult {
  result: EvalResult;
  evalJson: string;
  reportHtml: string;
}

type ToExample = (record: JsonObject, line: number) => EvalExample;

/**
 * How records become examples: through the model's chat template when it was trained with one (its folder
 * keeps it) or one is given, else through the dataset template, as training rendered them.
 */
function exampleMaker(config: EvaluateJobConfig, log: (line: string) => void): ToExample {
  const folder = (config.adapter && ownTokenizerDir(config.adapter)) ?? ownTokenizerDir(config.model);
  const tokenizer = folder ? loadTokenizer(folder) : null;
  const settings = tokenizer?.toConfig().settings;
  const chat = chooseChatTemplate({
    chosen: config.chatTemplate,
    responseTemplate: config.responseTemplate,
    folder,
    folderTemplates: folder ? readChatTemplates(folder) : null,
    specialTokens: () => (settings ? chatSpecialTokens(settings) : {}),
  });
  if (!chat) return (record, line) => recordToExample(record, line, config.responseTemplate);
  log(`chat template: ${chat.origin}; the prompt ends with its generation prompt`);
  const eos = settings?.eosToken ?? undefined;
  return (record, line) => chatRecordToExample(record, chat.template, eos, line);
}

async function readExamples(
  dir: string,
  split: 'train' | 'test',
  toExample: ToExample,
  limit = Infinity,
): Promise<EvalExample[]> {
  const out: EvalExample[] = [];
  let line = 0;
  for await (const record of readSplit(dir, split)) {
    line++;
    if (out.length >= limit) break;
    out.push(toExample(record, line));
  }
  return out;
}

/** Test examples; refuses a dataset without a test split. */
async function testExamples(config: EvaluateJobConfig, toExample: ToExample): Promise<EvalExample[]> {
  const manifest = readManifest(config.dataset);
  const file = path.join(config.dataset, 'test.jsonl');
  if (!fs.existsSync(file) || (manifest.splits?.test?.records ?? 1) === 0) {
    throw new UserError(
      `${config.dataset} has no test split (test.jsonl is missing or empty): ingest with a test ratio above 0, e.g. --split 0.8,0.1,0.1`,
    );
  }
  const examples = await readExamples(config.dataset, 'test', toExample, config.limit);
  if (examples.length === 0) throw new UserError(`${file}: the test split has no record`);
  return examples;
}

/** The model of a folder with its own tokenizer (GPT-2's when the folder has none). */
function loadEvalModel(
  dir: string,
  name: string,
  log: (line: string) => void,
  adapter?: string,
): { model: EvalModel; dispose: () => void } {
  const { model: lm, tokenizer, ownTokenizer } = openModelFolder(dir, { adapter });
  try {
    const model = causalLmEvalModel(name, lm, tokenizer);
    log(
      `${name}: ${dir}${adapter ? ` with the adapter ${adapter}` : ''} (tokenizer ${ownTokenizer ? 'from the folder' : 'gpt2, built in'}, vocabulary ${lm.config.vocabSize})`,
    );
    return { model, dispose: () => lm.dispose() };
  } catch (e) {
    lm.dispose();
    if (e instanceof Error && !(e instanceof UserError) && /vocabulary/.test(e.message))
      throw new UserError(e.message);
    throw e;
  }
}

/**
 * Given labels in the form the data spells them (the template puts a space before a completion):
 * a label equal to a completion after trimming takes that completion's exact text.
 */
export function labelForms(labels: readonly string[], examples: readonly EvalExample[]): string[] {
  const byTrim = new Map<string, string>();
  for (const e of examples)
    if (!byTrim.has(e.completion.trim())) byTrim.set(e.completion.trim(), e.completion);
  const spaced = examples.length > 0 && examples.every((e) => e.completion.startsWith(' '));
  return labels.map((l) => byTrim.get(l.trim()) ?? (spaced ? ` ${l.trim()}` : l));
}

function findMetricsLog(config: EvaluateJobConfig): string | undefined {
  if (config.metrics) {
    if (!fs.existsSync(config.metrics)) throw new UserError(`${config.metrics}: no such training log`);
    return config.metrics;
  }
  return [
    path.join(config.model, 'metrics.jsonl'),
    path.join(path.dirname(path.resolve(config.model)), 'metrics.jsonl'),
  ].find((f) => fs.existsSync(f));
}

/** Runs the evaluation and writes eval.json and report.html into `config.out`. */
export async function runEvaluateJob(
  config: EvaluateJobConfig,
  hooks: EvaluateJobHooks = {},
): Promise<EvaluateJobResult> {
  const log = hooks.log ?? (() => undefined);
  if (config.labels && config.labels.length === 0)
    throw new UserError('the label set is empty: give at least one label to --labels');
  const toExample = exampleMaker(config, log);
  const examples = await testExamples(config, toExample);
  const train = fs.existsSync(path.join(config.dataset, 'train.jsonl'))
    ? await readExamples(config.dataset, 'train', toExample)
    : [];
  log(
    `test split: ${examples.length} examples${train.length ? ` (train split: ${train.length}, for the label set and the majority baseline)` : ''}`,
  );

  await hooks.beforeModels?.();
  const loaded: { dispose: () => void }[] = [];
  try {
    const load = (dir: string, name: string, adapter?: string): EvalModel => {
      const m = loadEvalModel(dir, name, log, adapter);
      loaded.push(m);
      return m.model;
    };
    const model = load(config.model, config.model, config.adapter);
    const start = config.start ? load(config.start, `${config.start} (before fine-tuning)`) : undefined;
    const baselines = (config.baselines ?? []).map((dir) => load(dir, dir));
    let result: EvalResult;
    try {
      result = await evaluate(
        { examples, model, start, baselines },
        {
          ...config.options,
          task: config.task,
          labels: config.labels && labelForms(config.labels, [...examples, ...train]),
          trainCompletions: train.map((e) => e.completion),
          progress: hooks.progress,
        },
      );
    } catch (e) {
      // evaluate() reports bad data (empty label set, a reference outside the labels) as plain errors
      if (e instanceof Error && !(e instanceof UserError) && /label|test split/.test(e.message))
        throw new UserError(e.message);
      throw e;
    }

    fs.mkdirSync(config.out, { recursive: true });
    const evalJson = path.join(config.out, 'eval.json');
    fs.writeFileSync(evalJson, JSON.stringify(result, null, 2) + '\n');
    const metricsLog = findMetricsLog(config);
    const curves = metricsLog ? parseMetricsLog(fs.readFileSync(metricsLog, 'utf8')) : undefined;
    const html = renderReport({
      title: 'ftune evaluation',
      subtitle: `Held-out test split, evaluated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      facts: [
        ['model', config.model],
        ['dataset', config.dataset],
        ['test examples', String(result.examples)],
        ['task', result.task],
        ...(metricsLog ? [['training log', metricsLog] as [string, string]] : []),
      ],
      sections: evalSections(result, { curves }),
    });
    const reportHtml = path.join(config.out, 'report.html');
    fs.writeFileSync(reportHtml, html);
    return { result, evalJson, reportHtml };
  } finally {
    for (const m of loaded) m.dispose();
  }
}
