// The training hyperparameters, each defined once: its JSON Schema (type, bounds, choices), its default
// (Hugging Face TrainingArguments, transformers 4.53) and a line of help. Everything else derives from
// this table: TrainingArguments (camelCase), the `ftune train` config keys (snake_case) and flags
// (kebab-case), the JSON Schemas of the train config and of a run config's `training` section, and
// the checks train() makes. Adding a hyperparameter is one entry here plus its use.
// the GPT-Neo config module alone: the table is read without loading TensorFlow.js
import { LORA_TARGETS } from '@ftune/model-gpt-neo/src/config';
import type { SchedulerType } from '../schedules/lr-schedule';

interface NumberSpec {
  type: 'number' | 'integer';
  default: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
  /** A value ruled out inside the bounds (max_steps 0). */
  not?: { const: number };
  description: string;
}
interface BooleanSpec {
  type: 'boolean';
  /** None: the loop decides from other values. */
  default?: boolean;
  description: string;
}
interface ChoiceSpec {
  enum: readonly string[];
  default: string;
  description: string;
}
interface ListSpec {
  type: 'array';
  items: { enum: readonly string[] };
  minItems: number;
  uniqueItems: true;
  default: readonly string[];
  description: string;
}
/** A group of settings given together (lora); absent = off. Its fields have defaults of their own. */
interface GroupSpec {
  type: 'object';
  additionalProperties: false;
  properties: Record<string, NumberSpec | ListSpec | ChoiceSpec>;
  /** Off unless given. */
  default?: undefined;
  description: string;
}
export type HyperparameterSpec = NumberSpec | BooleanSpec | ChoiceSpec | GroupSpec;

const LORA_BIAS = ['none', 'all', 'lora_only'] as const;
const SCHEDULERS: readonly SchedulerType[] = ['linear', 'cosine', 'constant', 'constant_with_warmup'];
/** A bare name is prefixed with eval_ as the Trainer does; the loop itself accepts any record field. */
const BEST_MODEL_METRICS: readonly string[] = [
  'eval_loss',
  'eval_perplexity',
  'eval_token_accuracy',
  'loss',
  'perplexity',
  'token_accuracy',
];

export const HYPERPARAMETERS = {
  learningRate: { type: 'number', minimum: 0, default: 5e-5, description: 'peak learning rate' },
  batchSize: { type: 'integer', minimum: 1, default: 8, description: 'examples per micro-batch' },
  evalBatchSize: {
    type: 'integer',
    minimum: 1,
    default: 8,
    description: 'examples per evaluation batch (default: the batch size)',
  },
  gradientAccumulationSteps: {
    type: 'integer',
    minimum: 1,
    default: 1,
    description: 'micro-batches per optimizer step',
  },
  epochs: {
    type: 'number',
    exclusiveMinimum: 0,
    default: 3,
    description: 'passes over the training split (fractions allowed)',
  },
  maxSteps: {
    type: 'integer',
    minimum: -1,
    not: { const: 0 },
    default: -1,
    description: 'optimizer steps; overrides the epochs (-1: off)',
  },
  weightDecay: {
    type: 'number',
    minimum: 0,
    default: 0,
    description: 'AdamW decoupled weight decay, not on biases and LayerNorm weights',
  },
  adamBeta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'AdamW β1' },
  adamBeta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.999, description: 'AdamW β2' },
  adamEpsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-8, description: 'AdamW ε' },
  lrScheduler: { enum: SCHEDULERS, default: 'linear', description: 'learning-rate schedule after warmup' },
  warmupSteps: { type: 'integer', minimum: 0, default: 0, description: 'linear warmup steps' },
  warmupRatio: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    default: 0,
    description: 'warmup as a fraction of all steps, when the warmup steps are 0',
  },
  maxGradNorm: {
    type: 'number',
    minimum: 0,
    default: 1,
    description: 'global gradient-norm clip; 0 = off',
  },
  loggingSteps: {
    type: 'integer',
    minimum: 1,
    default: 1,
    description: 'a metrics record every N optimizer steps (the only read-back of the loss)',
  },
  evalSteps: {
    type: 'integer',
    minimum: 0,
    default: 0,
    description: 'validate every N steps (also at each epoch end); 0 = at epoch ends only',
  },
  saveSteps: {
    type: 'integer',
    minimum: 0,
    default: 500,
    description: 'checkpoint every N steps (also at the end); 0 = only at the end',
  },
  saveTotalLimit: {
    type: 'integer',
    minimum: 0,
    default: 0,
    description: 'keep at most N checkpoints (the best is kept); 0 = all',
  },
  earlyStoppingPatience: {
    type: 'integer',
    minimum: 0,
    default: 0,
    description: 'stop after N evaluations without improvement; 0 = off',
  },
  earlyStoppingThreshold: {
    type: 'number',
    minimum: 0,
    default: 0,
    description: 'the least change that counts as an improvement',
  },
  metricForBestModel: {
    enum: BEST_MODEL_METRICS,
    default: 'eval_loss',
    description: 'the evaluation metric that picks the best model',
  },
  greaterIsBetter: {
    type: 'boolean',
    description: 'a larger metric is better (default: unless its name ends with loss or perplexity)',
  },
  loadBestModelAtEnd: {
    type: 'boolean',
    description: 'model/ holds the best checkpoint, not the last (default: with early stopping)',
  },
  groupByLength: {
    type: 'boolean',
    default: false,
    description: 'batch examples of similar length together',
  },
  packing: {
    type: 'boolean',
    default: false,
    description:
      'several examples per row of max-length tokens, batches of batch-size rows filled best-fit decreasing; attention and positions stay within each example',
  },
  lora: {
    type: 'object',
    additionalProperties: false,
    description:
      'train LoRA adapters (PEFT LoraConfig) instead of every weight: the base frozen, model/ holds adapter_model.safetensors and adapter_config.json',
    properties: {
      r: { type: 'integer', minimum: 1, default: 8, description: 'rank of each adapter' },
      alpha: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 8,
        description: "lora_alpha: the adapter's update is scaled by alpha / r",
      },
      dropout: {
        type: 'number',
        minimum: 0,
        exclusiveMaximum: 1,
        default: 0,
        description: "dropout on the adapter's input while training",
      },
      targets: {
        type: 'array',
        items: { enum: LORA_TARGETS },
        minItems: 1,
        uniqueItems: true,
        default: ['q_proj', 'v_proj'],
        description: 'the Linear layers of each block that get adapters',
      },
      bias: {
        enum: LORA_BIAS,
        default: 'none',
        description:
          "peft's bias: all = every bias of the base is trained and saved with the adapters, lora_only = the biases of the targeted layers",
      },
    },
  },
  gradientCheckpointing: {
    type: 'boolean',
    default: false,
    description:
      "recompute each block's activations in the backward pass instead of keeping them: less memory, about one more forward pass of time",
  },
  seed: { type: 'integer', default: 42, description: 'seed for init and data order' },
  signalWindow: {
    type: 'integer',
    minimum: 1,
    default: 3,
    description: 'evaluations looked at for over- and underfitting notes',
  },
} as const satisfies Record<string, HyperparameterSpec>;

type Table = typeof HYPERPARAMETERS;
export type HyperparameterName = keyof Table;

type ValueOf<S> = S extends { enum: readonly (infer U)[] }
  ? U
  : S extends { type: 'boolean' }
    ? boolean
    : S extends { type: 'array'; items: { enum: readonly (infer U)[] } }
      ? U[]
      : S extends { type: 'object'; properties: infer P }
        ? { [F in keyof P]?: ValueOf<P[F]> }
        : number;
type WithDefault = {
  [K in HyperparameterName]: Table[K] extends { default: unknown } ? K : never;
}[HyperparameterName];

/** The LoRA settings of a run, every field given. */
export type LoraSettings = Required<ValueOf<Table['lora']>>;

/** The loop's arguments, named in camelCase; those without a default are decided by the loop. */
export type TrainingArguments = { [K in WithDefault]: ValueOf<Table[K]> } & {
  [K in Exclude<HyperparameterName, WithDefault>]?: ValueOf<Table[K]>;
};

/** `learningRate` → `learning_rate`, as a type. */
export type SnakeCase<S extends string> = S extends `${infer H}${infer R}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<R>}`
  : S;

/** The hyperparameters as config-file keys: snake_case, each optional. */
export type SnakeCaseHyperparameters = {
  [K in HyperparameterName as SnakeCase<K>]?: ValueOf<Table[K]>;
};

export const HYPERPARAMETER_NAMES = Object.keys(HYPERPARAMETERS) as HyperparameterName[];

export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function camelCase(name: string): string {
  return name.replace(/[_-]([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The defaults of the hyperparameters that have one. */
export const DEFAULT_ARGS = Object.fromEntries(
  HYPERPARAMETER_NAMES.flatMap((k) => {
    const spec: HyperparameterSpec = HYPERPARAMETERS[k];
    return spec.default === undefined ? [] : [[k, spec.default]];
  }),
) as unknown as TrainingArguments;

/**
 * JSON Schema properties of the hyperparameters under names of the given spelling, without defaults
 * (a config leaves unset what it does not say); `overrides` adds keywords to named entries (a run
 * config's own defaults). An override for a name that is not a hyperparameter is an error.
 */
export function hyperparameterProperties(
  spelling: 'camelCase' | 'snake_case',
  overrides: Record<string, object> = {},
): Record<string, object> {
  for (const name of Object.keys(overrides)) {
    if (!(name in HYPERPARAMETERS)) throw new Error(`${name} is not a training hyperparameter`);
  }
  const rename = spelling === 'snake_case' ? snakeCase : (k: string) => k;
  return Object.fromEntries(
    HYPERPARAMETER_NAMES.map((k) => {
      const { default: _default, ...schema } = HYPERPARAMETERS[k] as HyperparameterSpec;
      return [rename(k), { ...schema, ...overrides[k] }];
    }),
  );
}

/** camelCase arguments from snake_case config fields; fields that are not hyperparameters are left out. */
export function fromSnakeCase(fields: object): Partial<TrainingArguments> {
  const args: Record<string, unknown> = {};
  for (const k of HYPERPARAMETER_NAMES) {
    const v = (fields as Record<string, unknown>)[snakeCase(k)];
    if (v !== undefined) args[k] = v;
  }
  return args as Partial<TrainingArguments>;
}

/** snake_case config fields from camelCase arguments (undefined values left out). */
export function toSnakeCase(args: Partial<TrainingArguments>): SnakeCaseHyperparameters {
  const fields: Record<string, unknown> = {};
  for (const k of HYPERPARAMETER_NAMES) if (args[k] !== undefined) fields[snakeCase(k)] = args[k];
  return fields as SnakeCaseHyperparameters;
}

/** The message for a number outside its spec's type or bounds, or null. */
function checkNumber(name: string, spec: NumberSpec, v: unknown): string | null {
  const bad = (what: string): string => `${name} must be ${what}, got ${String(v)}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) return bad('a finite number');
  if (spec.type === 'integer' && !Number.isInteger(v)) return bad('an integer');
  if (spec.minimum !== undefined && v < spec.minimum) return bad(`≥ ${spec.minimum}`);
  if (spec.exclusiveMinimum !== undefined && !(v > spec.exclusiveMinimum)) return bad(`> ${spec.exclusiveMinimum}`);
  if (spec.maximum !== undefined && v > spec.maximum) return bad(`≤ ${spec.maximum}`);
  if (spec.exclusiveMaximum !== undefined && !(v < spec.exclusiveMaximum)) return bad(`< ${spec.exclusiveMaximum}`);
  if (spec.not !== undefined && v === spec.not.const) return bad(`other than ${spec.not.const}`);
  return null;
}

/** The message for a group (lora) with an unknown field or a field outside its spec, or null. */
function checkGroup(name: string, spec: GroupSpec, v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${name} must be an object`;
  for (const [field, value] of Object.entries(v)) {
    const fieldSpec = spec.properties[field];
    const where = `${name}.${field}`;
    if (!fieldSpec) return `${name} has no field ${field} (${Object.keys(spec.properties).join(', ')})`;
    if (value === undefined) continue;
    if ('enum' in fieldSpec) {
      if (!fieldSpec.enum.includes(value as string)) return `${where} must be one of ${fieldSpec.enum.join(', ')}, got ${JSON.stringify(value)}`;
      continue;
    }
    if (fieldSpec.type !== 'array') {
      const problem = checkNumber(where, fieldSpec, value);
      if (problem) return problem;
      continue;
    }
    const list = value as unknown[];
    const choices = fieldSpec.items.enum;
    if (!Array.isArray(list) || list.length < fieldSpec.minItems || list.some((x) => !choices.includes(x as string))) {
      return `${where} must be a non-empty list of ${choices.join(', ')}, got ${JSON.stringify(value)}`;
    }
    if (new Set(list).size !== list.length) return `${where} names a module twice: ${JSON.stringify(value)}`;
  }
  return null;
}

/** The first value outside its hyperparameter's type or bounds, as a message, or null. */
export function checkHyperparameters(args: TrainingArguments): string | null {
  for (const k of HYPERPARAMETER_NAMES) {
    const spec: HyperparameterSpec = HYPERPARAMETERS[k];
    if (!('type' in spec) || spec.type === 'boolean') continue;
    if (spec.type === 'object') {
      const problem = args[k] === undefined ? null : checkGroup(k, spec, args[k]);
      if (problem) return problem;
      continue;
    }
    // the epochs count only when no step limit is set
    if (k === 'epochs' && args.maxSteps !== -1) continue;
    const problem = checkNumber(k, spec, args[k]);
    if (problem) return problem;
  }
  return null;
}

/** LoRA settings with every field's default filled in, or null when LoRA is off. */
export function resolveLora(lora: TrainingArguments['lora']): LoraSettings | null {
  if (lora === undefined) return null;
  const fields = HYPERPARAMETERS.lora.properties;
  return {
    r: lora.r ?? fields.r.default,
    alpha: lora.alpha ?? fields.alpha.default,
    dropout: lora.dropout ?? fields.dropout.default,
    targets: lora.targets ?? [...fields.targets.default],
    bias: lora.bias ?? fields.bias.default,
  };
}
