// `ftune evaluate`: scores a fine-tuned model on an ingested dataset's test split beside its
// baselines and writes eval.json and report.html (libs/eval runEvaluateJob). Progress on stderr,
// a few key figures on stdout.
import type { Command } from 'commander';
import { UserError } from '@ftune/common';
import type { Task } from '@ftune/eval';
import { lib } from './libs';
import { ADAPTER_HELP } from './model-folder';
import { nonNegativeInt, positiveInt } from './tokenize';

interface EvaluateFlags {
  model: string;
  adapter?: string;
  dataset: string;
  out: string;
  start?: string;
  baseline: string[];
  samples: number;
  responseTemplate?: string;
  chatTemplate?: string;
  task: Task | 'auto';
  labels?: string;
  seed: number;
  maxNewTokens: number;
  maxGenerations: number;
  bootstrap: number;
  batchSize: number;
  metrics?: string;
  limit?: number;
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('evaluate a model on the test split beside baselines; writes eval.json and report.html')
    .requiredOption('--model <DIR>', 'the fine-tuned model (Hugging Face GPT-Neo folder, or a LoRA adapter folder)')
    .option('--adapter <DIR>', ADAPTER_HELP)
    .requiredOption('--dataset <DIR>', 'an ingested dataset folder (ftune ingest) with a test split')
    .requiredOption('--out <DIR>', 'folder for eval.json and report.html')
    .option('--start <DIR>', 'the model before fine-tuning (reported as start_accuracy)')
    .option('--baseline <DIR>', 'another model folder to compare with (repeatable)', collect, [])
    .option('--samples <N>', 'generated samples in the report (greedy and sampled)', nonNegativeInt, 5)
    .option(
      '--response-template <STR>',
      'completion starts after the last occurrence of this text (default: the dataset template, "### Answer:")',
    )
    .option(
      '--chat-template <FILE|NAME>',
      "render records with this chat template (default: the model folder's own, as training left it)",
    )
    .option(
      '--task <auto|classification|generation>',
      'how to score: labels by likelihood, or generation',
      task,
      'auto',
    )
    .option(
      '--labels <A,B,...>',
      'candidate labels (default: the distinct completions of the train and test splits)',
    )
    .option('--seed <N>', 'seed of the bootstrap, the sample choice and sampling', nonNegativeInt, 0)
    .option('--max-new-tokens <N>', 'tokens per generation', positiveInt, 64)
    .option(
      '--max-generations <N>',
      'generate for at most N test examples (generation metrics)',
      nonNegativeInt,
      200,
    )
    .option('--bootstrap <N>', 'bootstrap resamples for the baseline comparisons', positiveInt, 1000)
    .option('--batch-size <N>', 'completions scored per forward pass', positiveInt, 8)
    .option('--metrics <FILE>', 'training log for the loss curves (default: metrics.jsonl beside the model)')
    .option('--limit <N>', 'evaluate only the first N test records', positiveInt)
    .action(async (flags: EvaluateFlags) => {
      let last = '';
      const { result, evalJson, reportHtml } = await lib.eval().runEvaluateJob(
        {
          model: flags.model,
          adapter: flags.adapter,
          dataset: flags.dataset,
          out: flags.out,
          start: flags.start,
          baselines: flags.baseline,
          responseTemplate: flags.responseTemplate,
          chatTemplate: flags.chatTemplate,
          task: flags.task,
          labels: flags.labels === undefined ? undefined : labelList(flags.labels),
          metrics: flags.metrics,
          limit: flags.limit,
          options: {
            samples: flags.samples,
            seed: flags.seed,
            maxNewTokens: flags.maxNewTokens,
            maxGenerations: flags.maxGenerations,
            bootstrapResamples: flags.bootstrap,
            scoreBatchSize: flags.batchSize,
          },
        },
        {
          log: (line) => process.stderr.write(`${line}\n`),
          beforeModels: async () => {
            const backend = await lib.compute().initBackend();
            process.stderr.write(`backend: ${backend.info.backend} (${backend.info.device})\n`);
          },
          progress: (stage, done, total) => {
            const line = `${stage} ${done}/${total}`;
            if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
            else if (stage !== last || done === total) process.stderr.write(`${line}\n`);
            last = stage;
          },
        },
      );
      const figures = [
        `loss ${fmt(result.loss)}`,
        `perplexity ${fmt(result.perplexity)}`,
        ...(result.accuracy !== undefined
          ? [`accuracy ${fmt(result.accuracy)}`, `macro-F1 ${fmt(result.macro_f1)}`]
          : []),
        ...(result.baseline_accuracy !== undefined ? [`majority ${fmt(result.baseline_accuracy)}`] : []),
        ...(result.start_accuracy !== undefined ? [`before fine-tuning ${fmt(result.start_accuracy)}`] : []),
        ...(result.generation
          ? [
              `EM ${fmt(result.generation.exact_match)}`,
              `F1 ${fmt(result.generation.token_f1)}`,
              `ROUGE-L ${fmt(result.generation.rouge_l)}`,
              `BLEU ${result.generation.bleu.score.toFixed(1)}`,
            ]
          : []),
      ];
      process.stdout.write(
        `evaluated ${result.model} on ${result.examples} test examples (${result.task}): ${figures.join(' · ')}\n`,
      );
      process.stdout.write(`wrote ${evalJson} and ${reportHtml}\n`);
    });
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : v.toFixed(4);
}

function labelList(value: string): string[] {
  return value
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function task(value: string): Task | 'auto' {
  if (value === 'auto' || value === 'classification' || value === 'generation') return value;
  throw new UserError(`--task must be auto, classification or generation, got ${JSON.stringify(value)}`);
}
