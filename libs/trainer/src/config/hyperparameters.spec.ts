// The hyperparameter table is the one source: each entry appears under its snake_case name in the train
// config schema, round-trips camelCase ↔ snake_case ↔ kebab-case, passes the validators at its default and
// is refused outside its bounds, by train() and by the config file alike.
import { describe, expect, it } from 'vitest';
import { resolveArgs } from '../args';
import {
  camelCase,
  checkHyperparameters,
  DEFAULT_ARGS,
  fromSnakeCase,
  HYPERPARAMETER_NAMES,
  HYPERPARAMETERS,
  hyperparameterProperties,
  kebabCase,
  resolveLora,
  snakeCase,
  toSnakeCase,
  type HyperparameterSpec,
  type SnakeCase,
} from './hyperparameters';
import { resolveTrainConfig, toTrainingArguments, TRAIN_CONFIG_SCHEMA } from './train-config';

const job = { model: 'tiny', dataset: 'data/', out: 'runs/a' };

describe('hyperparameters: one table, every spelling derived', () => {
  it('spells each name three ways and back', () => {
    const typed: SnakeCase<'adamBeta1' | 'gradientAccumulationSteps'> = 'adam_beta1';
    expect(typed).toBe(snakeCase('adamBeta1'));
    expect(HYPERPARAMETER_NAMES.length).toBeGreaterThan(20);
    for (const name of HYPERPARAMETER_NAMES) {
      expect(snakeCase(name)).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(kebabCase(name)).toBe(snakeCase(name).replace(/_/g, '-'));
      expect(camelCase(snakeCase(name))).toBe(name);
      expect(camelCase(kebabCase(name))).toBe(name);
    }
    expect(snakeCase('gradientAccumulationSteps')).toBe('gradient_accumulation_steps');
  });

  it('puts every entry in the train config schema under its snake_case name, and nothing else unnamed', () => {
    const properties = TRAIN_CONFIG_SCHEMA.properties as Record<string, object>;
    for (const name of HYPERPARAMETER_NAMES) {
      const { default: _default, ...schema } = HYPERPARAMETERS[name] as HyperparameterSpec;
      expect(properties[snakeCase(name)]).toEqual(schema);
    }
    const jobFields = [
      'model',
      'dataset',
      'out',
      'response_template',
      'chat_template',
      'max_length',
      'append_eos',
      'keep_eos_learnable',
      'resume',
    ];
    expect(Object.keys(properties).sort()).toEqual(
      [...jobFields, ...HYPERPARAMETER_NAMES.map(snakeCase)].sort(),
    );
  });

  it('round-trips every default through the config file, the schema and back to the arguments', () => {
    const fields = toSnakeCase(DEFAULT_ARGS);
    expect(Object.keys(fields)).toHaveLength(Object.keys(DEFAULT_ARGS).length);
    const config = resolveTrainConfig({ ...job, ...fields }, {}, 'train.yaml');
    expect(toTrainingArguments(config)).toEqual(DEFAULT_ARGS);
    expect(fromSnakeCase(toSnakeCase({ greaterIsBetter: true, seed: 7 }))).toEqual({
      greaterIsBetter: true,
      seed: 7,
    });
    // kebab-case keys, as the flags give them, land on the same arguments
    const kebab = Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [k.replace(/_/g, '-'), String(v)]),
    );
    expect(toTrainingArguments(resolveTrainConfig({ ...job, ...kebab }, {}, 'flags'))).toEqual(DEFAULT_ARGS);
    expect(checkHyperparameters(resolveArgs({}))).toBeNull();
  });

  it('refuses a value outside its bounds in the config and in train() alike, naming the field', () => {
    let checked = 0;
    for (const name of HYPERPARAMETER_NAMES) {
      const spec: HyperparameterSpec = HYPERPARAMETERS[name];
      if (!('type' in spec) || spec.type === 'boolean' || spec.type === 'object') continue;
      const low = spec.minimum ?? spec.exclusiveMinimum;
      if (low === undefined) continue;
      const bad = spec.exclusiveMinimum !== undefined ? low : low - 1;
      expect(() => resolveTrainConfig({ ...job, [snakeCase(name)]: bad }, {}, 'train.yaml')).toThrow(
        new RegExp(`^train\\.yaml: ${snakeCase(name)} must`),
      );
      expect(checkHyperparameters({ ...resolveArgs({}), [name]: bad })).toMatch(new RegExp(`^${name} must`));
      checked += 1;
    }
    expect(checked).toBeGreaterThan(15);
    expect(checkHyperparameters({ ...resolveArgs({}), batchSize: 2.5 })).toBe(
      'batchSize must be an integer, got 2.5',
    );
  });

  it('takes lora as one group: defaults per field, each field checked in train() as in the config file', () => {
    expect(resolveLora(undefined)).toBeNull();
    expect(resolveLora({})).toEqual({ r: 8, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'], bias: 'none' });
    expect(resolveLora({ r: 16, targets: ['c_fc'], bias: 'all' })).toEqual({ r: 16, alpha: 8, dropout: 0, targets: ['c_fc'], bias: 'all' });
    expect(checkHyperparameters({ ...resolveArgs({}), lora: { bias: 'lora_only' } })).toBeNull();
    expect(checkHyperparameters({ ...resolveArgs({}), lora: { bias: 'some' as never } })).toBe('lora.bias must be one of none, all, lora_only, got "some"');
    const args = resolveArgs({});
    expect(checkHyperparameters({ ...args, lora: { r: 4, alpha: 16, dropout: 0.1 } })).toBeNull();
    expect(checkHyperparameters({ ...args, lora: { r: 2.5 } })).toBe('lora.r must be an integer, got 2.5');
    expect(checkHyperparameters({ ...args, lora: { dropout: 1 } })).toBe('lora.dropout must be < 1, got 1');
    expect(checkHyperparameters({ ...args, lora: { targets: [] } })).toMatch(/^lora\.targets must be a non-empty list/);
    expect(checkHyperparameters({ ...args, lora: { targets: ['q_proj', 'q_proj'] } })).toMatch(/names a module twice/);
    expect(checkHyperparameters({ ...args, lora: { rank: 4 } as never })).toMatch(/^lora has no field rank/);
    expect(() => resolveTrainConfig({ ...job, lora: { alpha: 0 } }, {}, 'train.yaml')).toThrow(/^train\.yaml: lora\.alpha must be > 0/);
    expect(toTrainingArguments(resolveTrainConfig({ ...job, lora: { r: '4' } }, {}, 'train.yaml')).lora).toEqual({ r: 4 });
  });

  it('merges a caller’s own defaults into named entries and refuses an unknown name', () => {
    const camel = hyperparameterProperties('camelCase', { batchSize: { default: 16 } });
    expect(camel.batchSize).toEqual({
      type: 'integer',
      minimum: 1,
      description: 'examples per micro-batch',
      default: 16,
    });
    expect(Object.keys(camel)).toEqual(HYPERPARAMETER_NAMES);
    expect(() => hyperparameterProperties('camelCase', { batchSzie: { default: 16 } })).toThrow(
      /batchSzie is not a training hyperparameter/,
    );
  });
});
