// The run configuration of `ftune run CONFIG` and of StartRun: YAML or JSON, validated against
// run-config.schema.json (shipped beside this library), defaults filled in, relative paths resolved
// against the config file's folder. Errors name the field, e.g. `training.batchSize: must be >= 1`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { compileFilterPattern } from '@ftune/bias-audit';
import { UserError } from '@ftune/common';
import { hyperparameterProperties, type TrainingArguments } from '@ftune/trainer';

/** A run's hyperparameters; run-config.schema.json fills in the run defaults it lists. */
export type RunTraining = Partial<TrainingArguments>;

export interface RunConfig {
  name?: string;
  runId?: string;
  runsDir: string;
  dataset: {
    path: string;
    format: string;
    split: [number, number, number];
    seed: number;
    labelField?: string;
    maxRecords?: number;
  };
  tokenizer: string;
  model: { path?: string; preset?: string; seed: number };
  template: { responseTemplate?: string; chatTemplate?: string };
  collator: { maxLength: number; padToMultipleOf: number; keepEosLearnable: boolean; appendEos: boolean };
  training: RunTraining;
  evaluation: { samples: number; baselines: string[]; bootstrap: number };
  audit: {
    enabled: boolean;
    terms?: string;
    pairs?: string;
    mitigation: 'none' | 'reweight' | 'augment';
    dimension?: string;
    positiveLabel?: string;
    gate: Record<string, number>;
    outputFilter: Array<{
      pattern: string;
      action: 'block' | 'rewrite';
      replacement?: string;
      reason?: string;
    }>;
  };
  /** Experiment tracking; absent in configs pinned before it existed. */
  tracking?: { tensorboard?: boolean; mlflow?: { trackingUri?: string; experimentName?: string } };
}

export const RUN_CONFIG_SCHEMA_PATH = join(__dirname, '..', 'run-config.schema.json');

/** The schema file with the `training` section's fields filled in from the trainer's hyperparameters. */
export function runConfigSchema(): { properties: { training: { properties: Record<string, object> } } } {
  const schema = JSON.parse(readFileSync(RUN_CONFIG_SCHEMA_PATH, 'utf8'));
  const training = schema.properties.training;
  training.properties = hyperparameterProperties('camelCase', training.properties);
  return schema;
}

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(value: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    validator = ajv.compile(runConfigSchema());
  }
  return validator(value) ? [] : (validator.errors ?? []);
}

function describe(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
  if (e.keyword === 'additionalProperties') {
    return `${field === '(top level)' ? '' : field + '.'}${String(e.params.additionalProperty)}: unknown field`;
  }
  if (e.keyword === 'required')
    return `${field === '(top level)' ? '' : field + '.'}${String(e.params.missingProperty)}: required`;
  if (e.keyword === 'oneOf' && field === 'model') return 'model: give exactly one of path or preset';
  return `${field}: ${e.message ?? 'is invalid'}`;
}

/** Validates a parsed config object (sections given as data), fills defaults, resolves paths against `baseDir`. */
export function normalizeRunConfig(raw: unknown, baseDir: string, source = 'config'): RunConfig {
  const value = (raw ?? {}) as Record<string, unknown>;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new UserError(`${source}: must be a mapping of sections`);
  for (const section of ['template', 'collator', 'training', 'evaluation', 'audit']) {
    if (value[section] === undefined || value[section] === null) value[section] = {};
  }
  const errors = validate(value).filter((e) => e.keyword !== 'if');
  if (errors.length > 0) {
    const lines = [
      ...new Set(
        errors.filter((e) => !(e.keyword === 'required' && e.schemaPath.includes('oneOf'))).map(describe),
      ),
    ];
    throw new UserError(`${source}: ${lines.join('; ')}`);
  }
  const cfg = value as unknown as RunConfig;
  cfg.audit.gate = cfg.audit.gate ?? {};
  cfg.audit.outputFilter.forEach((rule, i) => {
    try {
      compileFilterPattern(rule.pattern);
    } catch (e) {
      throw new UserError(`${source}: audit.outputFilter[${i}].pattern: ${(e as Error).message}`);
    }
  });
  const [a, b, c] = cfg.dataset.split;
  if (Math.abs(a + b + c - 1) > 1e-6)
    throw new UserError(`${source}: dataset.split: ratios must add up to 1 (got ${a + b + c})`);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  cfg.runsDir = abs(cfg.runsDir ?? '.');
  cfg.dataset.path = abs(cfg.dataset.path);
  if (cfg.model.path) cfg.model.path = abs(cfg.model.path);
  if (cfg.tokenizer !== 'gpt2') cfg.tokenizer = abs(cfg.tokenizer);
  if (cfg.audit.terms) cfg.audit.terms = abs(cfg.audit.terms);
  if (cfg.audit.pairs) cfg.audit.pairs = abs(cfg.audit.pairs);
  // a chat template is a file when one is there, else the name of one of the tokenizer's templates
  const chat = cfg.template.chatTemplate;
  if (chat && existsSync(abs(chat))) cfg.template.chatTemplate = abs(chat);
  else if (chat && !cfg.model.path && cfg.tokenizer === 'gpt2') {
    throw new UserError(
      `${source}: template.chatTemplate: ${abs(chat)} does not exist, and the gpt2 tokenizer has no named templates`,
    );
  }
  if (chat && cfg.template.responseTemplate) {
    throw new UserError(`${source}: template: give chatTemplate or responseTemplate, not both`);
  }
  cfg.evaluation.baselines = cfg.evaluation.baselines.map(abs);
  return cfg;
}

/** Reads a YAML/JSON run config file. */
export function loadRunConfig(file: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read run config ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new UserError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return normalizeRunConfig(raw, dirname(resolve(file)), file);
}
