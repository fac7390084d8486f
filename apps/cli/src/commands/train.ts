// `ftune train`: fine-tunes a GPT-Neo model (folder or preset) on an ingested dataset. Flags or a
// YAML/JSON --config (flags win), validated against the trainer's JSON Schema. Progress on stderr
// (a bar on a terminal, plain lines otherwise); the result as one JSON line on stdout.
// Ctrl-C / SIGTERM stop after the current step with a checkpoint; --resume continues from it.
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '@ftune/common';
import type { TrainerEvent } from '@ftune/trainer';
// the table alone, not the trainer's entry: registering the command must not load TensorFlow.js
import {
  HYPERPARAMETER_NAMES,
  HYPERPARAMETERS,
  kebabCase,
  snakeCase,
  type HyperparameterSpec,
} from '@ftune/trainer/src/config/hyperparameters';
import { lib } from './libs';

interface TrainFlags {
  config?: string;
  [flag: string]: string | boolean | undefined;
}

/** Flag → help; every flag maps to the config field of the same name in snake_case. */
const VALUE_FLAGS: Array<[string, string]> = [
  ['model', 'Hugging Face GPT-Neo folder, or a preset (gpt-neo-125m, small, tiny) with random init'],
  ['dataset', 'ingested dataset folder (ftune ingest)'],
  ['out', 'output folder: metrics.jsonl, checkpoint-<step>/, model/'],
  [
    'response-template',
    'text that starts the trained response (default: the dataset template, "### Answer:")',
  ],
  [
    'chat-template',
    "Jinja chat template FILE, or NAME of a template in the model's tokenizer folder (default: the folder's chat_template); loss on assistant turns only",
  ],
  ['max-length', "truncate examples to N tokens (default: the model's positions)"],
  ['append-eos', 'true | false: append EOS to each example so the model learns to stop (true)'],
  [
    'keep-eos-learnable',
    'true | false: mask padding by position so EOS (= pad) stays a label (true); both false = trl 0.19.1 exactly',
  ],
  ...HYPERPARAMETER_NAMES.flatMap((name): Array<[string, string]> => {
    const spec: HyperparameterSpec = HYPERPARAMETERS[name];
    if ('type' in spec && spec.type === 'object') {
      // a group: --lora turns it on with its defaults, --lora-<field> sets one field (and turns it on)
      const fields = Object.entries(spec.properties).map(([field, f]): [string, string] => {
        const choices =
          'enum' in f
            ? `${f.enum.join(' | ')}: `
            : f.type === 'array'
              ? `comma-separated, of ${f.items.enum.join(' | ')}: `
              : '';
        return [`${kebabCase(name)}-${kebabCase(field)}`, `${choices}${f.description} (${String(f.default)})`];
      });
      return [[kebabCase(name), `${spec.description} (off)`], ...fields];
    }
    const choices = 'enum' in spec ? `${spec.enum.join(' | ')}: ` : '';
    const fallback =
      spec.default === undefined || spec.description.includes('default:') ? '' : ` (${spec.default})`;
    return [[kebabCase(name), `${choices}${spec.description}${fallback}`]];
  }),
];

/** Names of the hyperparameters that are groups of fields (lora). */
const GROUPS = HYPERPARAMETER_NAMES.filter((n) => {
  const spec: HyperparameterSpec = HYPERPARAMETERS[n];
  return 'type' in spec && spec.type === 'object';
});

/**
 * Config fields from flags: a group's --<group>-<field> flags become one object under the group's name
 * (lists split at commas), and --<group> alone gives the group with its defaults.
 */
export function flagFields(flags: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) fields[snakeCase(key)] = value;
  for (const group of GROUPS) {
    const spec = HYPERPARAMETERS[group] as HyperparameterSpec & { properties: Record<string, { type: string }> };
    const on = fields[group];
    delete fields[group];
    const object: Record<string, unknown> = {};
    for (const [field, f] of Object.entries(spec.properties)) {
      const key = `${group}_${snakeCase(field)}`;
      const value = fields[key];
      delete fields[key];
      if (value === undefined) continue;
      object[field] = f.type === 'array' && typeof value === 'string' ? value.split(',').map((v) => v.trim()) : value;
    }
    if (Object.keys(object).length > 0 || (on !== undefined && on !== false && on !== 'false')) fields[group] = object;
  }
  return fields;
}

function progressPrinter(tty: boolean): (e: TrainerEvent) => void {
  let started = 0;
  let startStep = 0;
  let total = 0;
  let lastPlain = 0;
  const line = (text: string): void => {
    process.stderr.write(tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  };
  const eta = (step: number): string => {
    const perStep = (Date.now() - started) / Math.max(step - startStep, 1);
    const s = Math.round((perStep * (total - step)) / 1000);
    return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  };
  return (e) => {
    switch (e.type) {
      case 'start':
        started = Date.now();
        startStep = e.startStep;
        total = e.totalSteps;
        line(
          `training ${e.examples} examples: ${e.totalSteps} steps (${e.stepsPerEpoch} per epoch)` +
            (e.startStep > 0 ? `, resuming after step ${e.startStep}` : ''),
        );
        break;
      case 'step': {
        const r = e.record;
        const text =
          `step ${r.step}/${total} epoch ${r.epoch.toFixed(2)} loss ${r.loss.toFixed(4)} acc ${r.token_accuracy.toFixed(3)} ` +
          `lr ${r.learning_rate.toExponential(2)} |g| ${r.grad_norm.toFixed(3)} ${Math.round(r.tokens_per_second)} tok/s ETA ${eta(r.step)}`;
        if (tty) {
          const width = 24;
          const done = Math.round((r.step / total) * width);
          process.stderr.write(`\r\x1b[K[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${text}`);
        } else if (r.step === total || Date.now() - lastPlain >= 5000 || r.step <= 1) {
          lastPlain = Date.now();
          line(text);
        }
        break;
      }
      case 'eval': {
        const r = e.record;
        line(
          `eval step ${r.step}: loss ${r.eval_loss.toFixed(4)} perplexity ${r.eval_perplexity.toFixed(2)} ` +
            `token accuracy ${r.eval_token_accuracy.toFixed(3)}${e.isBest ? ' (best)' : ''}`,
        );
        break;
      }
      case 'signal':
        line(`note: ${e.signal.message}`);
        break;
      case 'checkpoint':
        line(`saved ${e.dir}`);
        break;
      case 'early_stop':
      case 'warning':
        line(e.message);
        break;
      case 'end':
        if (tty) process.stderr.write('\r\x1b[K');
        break;
    }
  };
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description(
      'fine-tune a GPT-Neo model on an ingested dataset (completion-only loss after the response template)',
    )
    .option('--config <file>', 'YAML or JSON file with the same fields in snake_case; flags override it');
  // a switch (--packing) is true; --packing false turns it off
  const switches = new Set([
    'append-eos',
    'keep-eos-learnable',
    ...GROUPS.map(kebabCase),
    ...HYPERPARAMETER_NAMES.filter(
      (n) => (HYPERPARAMETERS[n] as HyperparameterSpec as { type?: string }).type === 'boolean',
    ).map(kebabCase),
  ]);
  for (const [flag, help] of VALUE_FLAGS)
    command.option(`--${flag} ${switches.has(flag) ? '[value]' : '<value>'}`, help);
  command
    .option('--resume [checkpoint]', 'continue from the newest checkpoint in --out, or from the given one')
    .option(
      '--mlflow-uri <uri>',
      'log the training to this MLflow tracking server (default: MLFLOW_TRACKING_URI); TensorBoard files go to <out>/tensorboard/',
    )
    .action(async (flags: TrainFlags) => {
      const { readConfigFile, resolveTrainConfig, runTrainJob, TrainingHaltedError } = lib.trainer();
      const { describeChoice, initBackend } = lib.compute();
      const { flattenParams, mlflowRunUrl, resolveMlflowSettings, RunTracker, trainerScalars } =
        lib.tracking();
      const { config: configFile, mlflowUri, ...rest } = flags;
      const fromFlags = flagFields(rest);
      const config = resolveTrainConfig(
        configFile ? readConfigFile(configFile) : {},
        fromFlags,
        configFile ?? 'train options',
      );
      const warn = (message: string): void => void process.stderr.write(`${message}\n`);
      const mlflow = resolveMlflowSettings({ flagUri: mlflowUri as string | undefined, warn });
      const choice = await initBackend();
      for (const line of describeChoice(choice).slice(0, 1)) process.stderr.write(`${line}\n`);
      const tracker = new RunTracker({
        dir: config.out,
        runName: basename(config.out),
        tensorboard: true,
        mlflow,
        role: 'owner',
        tags: { 'ftune.model': config.model, 'ftune.backend': String(choice.info.backend ?? '') },
        warn,
      });
      const { out: _out, resume: _resume, ...hyperparameters } = config;
      tracker.params(flattenParams(hyperparameters));
      const printProgress = progressPrinter(Boolean(process.stderr.isTTY));
      let status: 'FINISHED' | 'FAILED' | 'KILLED' = 'FAILED';

      const controller = new AbortController();
      const stop = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping after this step and saving a checkpoint (again to quit at once)\n');
        controller.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const result = await runTrainJob(config, {
          onEvent: (e) => {
            const scalars = trainerScalars(e);
            if (scalars) tracker.metrics(scalars.step, scalars.values);
            printProgress(e);
          },
          log: (line) => process.stderr.write(`${line}\n`),
          signal: controller.signal,
        });
        process.stdout.write(`${JSON.stringify(result)}\n`);
        status = result.status === 'interrupted' ? 'KILLED' : 'FINISHED';
        tracker.artifact(join(config.out, 'metrics.jsonl'));
        if (result.status === 'interrupted') {
          throw new UserError(`interrupted at step ${result.globalStep}; continue with --resume`, 130);
        }
      } catch (e) {
        if (e instanceof TrainingHaltedError) throw new UserError(`training stopped: ${e.message}`, 1);
        throw e;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await tracker.close(status);
        if (tracker.mlflowRun) process.stderr.write(`mlflow run: ${mlflowRunUrl(tracker.mlflowRun)}\n`);
      }
    });
}
