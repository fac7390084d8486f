// The `ftune train` job configuration: a YAML or JSON file and/or command-line flags, checked against
// train-config.schema.json (ajv) with messages that name the field. Keys are snake_case (as Hugging Face
// TrainingArguments) or the flags' kebab-case. Maps onto TrainingArguments for the loop.
import * as fs from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { UserError } from '@ftune/common';
import type { TrainingArguments } from '../args';
import type { SchedulerType } from '../schedules/lr-schedule';
import schema from './train-config.schema.json';

export interface TrainJobConfig {
  model: string;
  dataset: string;
  out: string;
  response_template?: string;
  /** A Jinja chat template file, or a template name of the model's tokenizer folder. */
  chat_template?: string;
  max_length?: number;
  learning_rate?: number;
  batch_size?: number;
  eval_batch_size?: number;
  gradient_accumulation_steps?: number;
  epochs?: number;
  max_steps?: number;
  weight_decay?: number;
  adam_beta1?: number;
  adam_beta2?: number;
  adam_epsilon?: number;
  lr_scheduler?: SchedulerType;
  warmup_steps?: number;
  warmup_ratio?: number;
  max_grad_norm?: number;
  logging_steps?: number;
  eval_steps?: number;
  save_steps?: number;
  save_total_limit?: number;
  early_stopping_patience?: number;
  early_stopping_threshold?: number;
  metric_for_best_model?: string;
  greater_is_better?: boolean;
  load_best_model_at_end?: boolean;
  group_by_length?: boolean;
  seed?: number;
  resume?: boolean | string;
}

export const TRAIN_CONFIG_SCHEMA = schema;

const ajv = new Ajv({ allErrors: false, coerceTypes: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile<TrainJobConfig>(schema);

function describe(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  switch (e.keyword) {
    case 'required':
      return `missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'additionalProperties': {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      return `unknown field "${name}" (see the train config schema for the accepted fields)`;
    }
    case 'enum':
      return `${field} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'not':
      return `${field} must not be 0 (use -1 for no limit)`;
    default:
      return field ? `${field} ${e.message ?? 'is invalid'}` : (e.message ?? 'invalid configuration');
  }
}

/** snake_case keys, values copied; undefined values dropped. */
function normalizeKeys(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k.replace(/-/g, '_')] = v;
  return out;
}

/** Reads a YAML or JSON config file into raw (unvalidated) fields. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new UserError(`${file}: not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${file}: the config must be a mapping of field names to values`);
  }
  return value as Record<string, unknown>;
}

/** Merges file fields with flag fields (flags win) and validates; `source` prefixes error messages. */
export function resolveTrainConfig(
  fromFile: Record<string, unknown>,
  fromFlags: Record<string, unknown>,
  source = 'config',
): TrainJobConfig {
  const merged = { ...normalizeKeys(fromFile), ...normalizeKeys(fromFlags) };
  if (!validate(merged)) {
    const first = (validate.errors ?? [])[0];
    throw new UserError(`${source}: ${first ? describe(first) : 'invalid configuration'}`);
  }
  return merged;
}

/** The loop's arguments from a validated job config (unset fields keep the TrainingArguments defaults). */
export function toTrainingArguments(c: TrainJobConfig): Partial<TrainingArguments> {
  const args: Partial<TrainingArguments> = {
    learningRate: c.learning_rate,
    batchSize: c.batch_size,
    evalBatchSize: c.eval_batch_size,
    gradientAccumulationSteps: c.gradient_accumulation_steps,
    epochs: c.epochs,
    maxSteps: c.max_steps,
    weightDecay: c.weight_decay,
    adamBeta1: c.adam_beta1,
    adamBeta2: c.adam_beta2,
    adamEpsilon: c.adam_epsilon,
    lrScheduler: c.lr_scheduler,
    warmupSteps: c.warmup_steps,
    warmupRatio: c.warmup_ratio,
    maxGradNorm: c.max_grad_norm,
    loggingSteps: c.logging_steps,
    evalSteps: c.eval_steps,
    saveSteps: c.save_steps,
    saveTotalLimit: c.save_total_limit,
    earlyStoppingPatience: c.early_stopping_patience,
    earlyStoppingThreshold: c.early_stopping_threshold,
    metricForBestModel: c.metric_for_best_model,
    greaterIsBetter: c.greater_is_better,
    loadBestModelAtEnd: c.load_best_model_at_end,
    groupByLength: c.group_by_length,
    seed: c.seed,
  };
  return Object.fromEntries(
    Object.entries(args).filter(([, v]) => v !== undefined),
  ) as Partial<TrainingArguments>;
}
