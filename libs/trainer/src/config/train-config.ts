// The `ftune train` job configuration: a YAML or JSON file and/or command-line flags, checked against
// its JSON Schema (ajv; the hyperparameters' part derived from ./hyperparameters.ts) with messages that
// name the field. Keys are snake_case (as Hugging Face TrainingArguments) or the flags' kebab-case.
import * as fs from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { UserError } from '@ftune/common';
import {
  fromSnakeCase,
  hyperparameterProperties,
  type SnakeCaseHyperparameters,
  type TrainingArguments,
} from './hyperparameters';

/** The job's own fields beside the hyperparameters. */
interface JobFields {
  model: string;
  dataset: string;
  out: string;
  response_template?: string;
  /** A Jinja chat template file, or a template name of the model's tokenizer folder. */
  chat_template?: string;
  max_length?: number;
  /** Append EOS to each example that lacks it, so the model learns to stop (default true). */
  append_eos?: boolean;
  /** Mask padding by position, so an EOS equal to the pad id stays a label (default true). */
  keep_eos_learnable?: boolean;
  resume?: boolean | string;
}

export type TrainJobConfig = JobFields & SnakeCaseHyperparameters;

export const TRAIN_CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'train-config.schema.json',
  title: 'ftune train configuration',
  description:
    'A training job: what to train, on what, where to write, and the Hugging Face TrainingArguments-style ' +
    "hyperparameters. Keys may use snake_case or the CLI's kebab-case.",
  type: 'object',
  additionalProperties: false,
  required: ['model', 'dataset', 'out'],
  properties: {
    model: {
      type: 'string',
      minLength: 1,
      description: 'A Hugging Face GPT-Neo folder, or a preset name (random init).',
    },
    dataset: {
      type: 'string',
      minLength: 1,
      description: 'An ingested dataset folder (train.jsonl, validation.jsonl, manifest.json).',
    },
    out: {
      type: 'string',
      minLength: 1,
      description: 'Output folder: metrics.jsonl, checkpoint-<step>/, model/.',
    },
    response_template: {
      type: 'string',
      minLength: 1,
      description: 'Text that starts the trained response; loss applies only after it.',
    },
    chat_template: {
      type: 'string',
      minLength: 1,
      description:
        "A Jinja chat template file, or the name of one of the model tokenizer's templates; records are rendered " +
        "with it and the loss covers the assistant turns. Default: the tokenizer folder's chat_template, if it has one.",
    },
    max_length: { type: 'integer', minimum: 1, description: 'Truncate examples to this many tokens.' },
    append_eos: {
      type: 'boolean',
      description:
        'Append EOS to each example that does not end with it, so the model learns where a completion stops ' +
        '(default true; false with keep_eos_learnable false is trl 0.19.1 exactly).',
    },
    keep_eos_learnable: {
      type: 'boolean',
      description:
        'Mask padding by position rather than by id, so an EOS equal to the pad id stays a label (default true).',
    },
    ...hyperparameterProperties('snake_case'),
    resume: {
      type: ['boolean', 'string'],
      description: 'true: the newest checkpoint in out; a path: that checkpoint.',
    },
  },
};

const ajv = new Ajv({ allErrors: false, coerceTypes: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile<TrainJobConfig>(TRAIN_CONFIG_SCHEMA);

function describe(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  switch (e.keyword) {
    case 'required':
      return `missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'additionalProperties': {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      return `unknown field "${field ? `${field}.` : ''}${name}" (see the train config schema for the accepted fields)`;
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
  return fromSnakeCase(c);
}
