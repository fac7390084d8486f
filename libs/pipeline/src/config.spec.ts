import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ARGS,
  HYPERPARAMETER_NAMES,
  resolveTrainConfig,
  toSnakeCase,
  toTrainingArguments,
} from '@ftune/trainer';
import { loadRunConfig, normalizeRunConfig, runConfigSchema } from './config';

const minimal = { dataset: { path: 'data.jsonl' }, model: { preset: 'tiny' } };

describe('run config', () => {
  it('fills defaults and resolves paths against the config folder', () => {
    const cfg = normalizeRunConfig(structuredClone(minimal), '/cfg');
    expect(cfg.dataset.path).toBe('/cfg/data.jsonl');
    expect(cfg.dataset.split).toEqual([0.8, 0.1, 0.1]);
    expect(cfg.collator.padToMultipleOf).toBe(8);
    expect(cfg.training.lrScheduler).toBe('linear');
    expect(cfg.tokenizer).toBe('gpt2');
    expect(cfg.runsDir).toBe('/cfg');
  });

  it('takes every training hyperparameter in camelCase, and hands it to the train job unchanged', () => {
    expect(Object.keys(runConfigSchema().properties.training.properties)).toEqual(HYPERPARAMETER_NAMES);
    const training = { ...DEFAULT_ARGS, learningRate: 3e-4, evalSteps: 5 };
    const cfg = normalizeRunConfig({ ...structuredClone(minimal), training: { ...training } }, '/');
    expect(cfg.training).toEqual(training);
    const job = resolveTrainConfig(
      { model: 'tiny', dataset: 'd', out: 'o', ...toSnakeCase(cfg.training) },
      {},
    );
    expect(toTrainingArguments(job)).toEqual(training);
    // the run's own defaults, where it says none the trainer's apply
    const defaults = normalizeRunConfig(structuredClone(minimal), '/').training;
    expect(defaults).toMatchObject({ learningRate: 5e-4, batchSize: 16, epochs: 1, saveTotalLimit: 2 });
    expect(defaults.evalBatchSize).toBeUndefined();
  });

  it("reads the example's LoRA config as the example's run with adapters on every Linear layer", () => {
    const examples = join(__dirname, '..', '..', '..', 'examples', 'sentiment');
    const full = loadRunConfig(join(examples, 'run.yaml'));
    const lora = loadRunConfig(join(examples, 'run-lora.yaml'));
    expect(lora.training.lora).toMatchObject({ r: 32, alpha: 32, targets: ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'c_fc', 'c_proj'] });
    // the comparison in the example's README holds only for the same run otherwise
    expect({ ...lora, name: full.name, training: { ...lora.training, lora: undefined } }).toEqual(full);
  });

  it('takes training.lora with the defaults of its fields filled in, and hands it to the train job', () => {
    const cfg = normalizeRunConfig({ ...structuredClone(minimal), training: { lora: { r: 16 } } }, '/');
    expect(cfg.training.lora).toEqual({ r: 16, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'], bias: 'none' });
    const job = resolveTrainConfig({ model: 'tiny', dataset: 'd', out: 'o', ...toSnakeCase(cfg.training) }, {});
    expect(toTrainingArguments(job).lora).toEqual(cfg.training.lora);
    expect(normalizeRunConfig(structuredClone(minimal), '/').training.lora).toBeUndefined();
    const bad = { ...structuredClone(minimal), training: { lora: { r: 0, targets: ['wte'] } } };
    expect(() => normalizeRunConfig(bad, '/')).toThrow(/training\.lora\.r: must be >= 1/);
    expect(() => normalizeRunConfig(structuredClone(bad), '/')).toThrow(/training\.lora\.targets\.0: must be equal to one of the allowed values/);
  });

  it('names the field of each mistake', () => {
    const bad = { ...structuredClone(minimal), training: { batchSize: 0, lrScheduler: 'step', bogus: 1 } };
    expect(() => normalizeRunConfig(bad, '/')).toThrow(/training\.batchSize: must be >= 1/);
    expect(() => normalizeRunConfig(structuredClone(bad), '/')).toThrow(/training\.bogus: unknown field/);
    expect(() => normalizeRunConfig(structuredClone(bad), '/')).toThrow(
      /training\.lrScheduler: must be equal to one of the allowed values/,
    );
    expect(() => normalizeRunConfig({ model: { preset: 'tiny' } }, '/')).toThrow(/dataset: required/);
    expect(() => normalizeRunConfig({ dataset: { path: 'x' }, model: {} }, '/')).toThrow(
      /model: give exactly one of path or preset/,
    );
    expect(() =>
      normalizeRunConfig(
        { ...structuredClone(minimal), dataset: { path: 'x', split: [0.5, 0.2, 0.2] } },
        '/',
      ),
    ).toThrow(/dataset\.split: ratios must add up to 1/);
  });

  it('refuses output-filter patterns that a linear-time engine cannot run, naming the field', () => {
    const withFilter = (pattern: string) => ({
      ...structuredClone(minimal),
      audit: {
        outputFilter: [
          { pattern: 'fine', action: 'block' },
          { pattern, action: 'block' },
        ],
      },
    });
    expect(() => normalizeRunConfig(withFilter('(a)\\1'), '/')).toThrow(
      /audit\.outputFilter\[1\]\.pattern: invalid pattern .*no backreferences or lookaround/,
    );
    expect(() => normalizeRunConfig(withFilter('x(?=y)'), '/')).toThrow(/audit\.outputFilter\[1\]\.pattern/);
    expect(() => normalizeRunConfig(withFilter('x'.repeat(1001)), '/')).toThrow(
      /audit\.outputFilter\.1\.pattern: must NOT have more than 1000 characters/,
    );
    // the classic catastrophic pattern is accepted: RE2 runs it in linear time
    expect(normalizeRunConfig(withFilter('(a+)+$'), '/').audit.outputFilter[1].pattern).toBe('(a+)+$');
  });

  it('takes a chat template file relative to the config folder, or a name of the tokenizer folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftune-run-config-chat-'));
    writeFileSync(join(dir, 'chatml.jinja'), '{{ messages }}');
    const withFile = { ...structuredClone(minimal), template: { chatTemplate: 'chatml.jinja' } };
    expect(normalizeRunConfig(withFile, dir).template.chatTemplate).toBe(join(dir, 'chatml.jinja'));
    const named = { ...structuredClone(minimal), tokenizer: 'tok', template: { chatTemplate: 'tool_use' } };
    expect(normalizeRunConfig(named, dir).template.chatTemplate).toBe('tool_use');
    const missing = { ...structuredClone(minimal), template: { chatTemplate: 'nope.jinja' } };
    expect(() => normalizeRunConfig(missing, dir)).toThrow(
      /template\.chatTemplate: .*nope\.jinja does not exist, and the gpt2 tokenizer has no named templates/,
    );
    const both = {
      ...structuredClone(withFile),
      template: { chatTemplate: 'chatml.jinja', responseTemplate: 'A:' },
    };
    expect(() => normalizeRunConfig(both, dir)).toThrow(
      /template: give chatTemplate or responseTemplate, not both/,
    );
  });

  it('reads YAML files and reports YAML syntax errors with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftune-cfg-'));
    const f = join(dir, 'run.yaml');
    writeFileSync(f, 'dataset:\n  path: d.jsonl\nmodel:\n  preset: tiny\ntraining:\n  maxSteps: 5\n');
    expect(loadRunConfig(f).training.maxSteps).toBe(5);
    writeFileSync(f, 'dataset: [unclosed\n');
    expect(() => loadRunConfig(f)).toThrow(/run\.yaml: not valid YAML/);
    expect(() => loadRunConfig(join(dir, 'missing.yaml'))).toThrow(/cannot read run config .*ENOENT/);
  });
});
