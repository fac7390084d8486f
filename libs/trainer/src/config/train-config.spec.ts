import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile, resolveTrainConfig, toTrainingArguments } from './train-config';

const base = { model: 'tiny', dataset: 'data/', out: 'runs/a' };

describe('train config (YAML/JSON + flags, validated by the JSON Schema)', () => {
  it('reads YAML with snake_case or kebab-case keys; flags override the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-cfg-'));
    const file = path.join(dir, 'train.yaml');
    fs.writeFileSync(
      file,
      'model: tiny\ndataset: data/\nout: runs/a\nlearning_rate: 1e-4\nbatch-size: 4\nlr_scheduler: cosine\n',
    );
    const c = resolveTrainConfig(readConfigFile(file), {
      batchSize: undefined,
      'batch-size': '16',
      epochs: '2',
    });
    expect(c).toMatchObject({ learning_rate: 1e-4, batch_size: 16, lr_scheduler: 'cosine', epochs: 2 });
    expect(toTrainingArguments(c)).toEqual({
      learningRate: 1e-4,
      batchSize: 16,
      lrScheduler: 'cosine',
      epochs: 2,
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the field in every message', () => {
    const bad = (extra: Record<string, unknown>): string => {
      try {
        resolveTrainConfig({ ...base, ...extra }, {}, 'train.yaml');
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad({ learning_rate: 'fast' })).toBe('train.yaml: learning_rate must be number');
    expect(bad({ batch_size: 0 })).toBe('train.yaml: batch_size must be >= 1');
    expect(bad({ lr_scheduler: 'cyclic' })).toBe(
      'train.yaml: lr_scheduler must be one of linear, cosine, constant, constant_with_warmup',
    );
    expect(bad({ learnin_rate: 1 })).toMatch(/^train\.yaml: unknown field "learnin_rate"/);
    expect(bad({ max_steps: 0 })).toBe('train.yaml: max_steps must not be 0 (use -1 for no limit)');
    expect(bad({ warmup_ratio: 2 })).toBe('train.yaml: warmup_ratio must be <= 1');
    expect(resolveTrainConfig.bind(null, { model: 'x', out: 'y' }, {}, 'train.yaml')).toThrow(
      'train.yaml: missing required field "dataset"',
    );
  });

  it('rejects a file that is not a mapping', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-cfg-'));
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, '[1, 2]');
    expect(() => readConfigFile(file)).toThrow(/must be a mapping/);
    fs.writeFileSync(file, '{"model": ');
    expect(() => readConfigFile(file)).toThrow(/not valid YAML or JSON/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
