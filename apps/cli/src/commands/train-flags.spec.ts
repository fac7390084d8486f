// `ftune train`'s flags for a group of settings (lora): --lora alone, --lora-<field>, lists at commas, all landing
// on the one config field the train config schema checks.
import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '@ftune/trainer/src/config/train-config';
import { flagFields } from './train';

const job = { model: 'tiny', dataset: 'data/', out: 'runs/a' };

describe('ftune train flags for LoRA', () => {
  it('--lora alone turns LoRA on with its defaults; no flag leaves it off', () => {
    expect(flagFields({ ...job, lora: true }).lora).toEqual({});
    expect(flagFields({ ...job, lora: 'false' }).lora).toBeUndefined();
    expect(flagFields({ ...job, learningRate: '1e-4' })).toEqual({ ...job, learning_rate: '1e-4' });
  });

  it('folds --lora-r, --lora-alpha, --lora-dropout and --lora-targets into lora, checked and coerced by the schema', () => {
    const fields = flagFields({ ...job, loraR: '16', loraAlpha: '32', loraDropout: '0.05', loraTargets: 'q_proj, v_proj,c_fc', loraBias: 'all' });
    expect(fields).toEqual({ ...job, lora: { r: '16', alpha: '32', dropout: '0.05', targets: ['q_proj', 'v_proj', 'c_fc'], bias: 'all' } });
    expect(resolveTrainConfig({}, fields, 'flags').lora).toEqual({ r: 16, alpha: 32, dropout: 0.05, targets: ['q_proj', 'v_proj', 'c_fc'], bias: 'all' });
  });

  it('refuses a module GPT-Neo has no adapter for, and a rank of 0, naming the field', () => {
    expect(() => resolveTrainConfig({}, flagFields({ ...job, loraTargets: 'lm_head' }), 'flags')).toThrow(
      /^flags: lora\.targets\.0 must be one of q_proj, k_proj, v_proj, out_proj, c_fc, c_proj$/,
    );
    expect(() => resolveTrainConfig({ ...job, lora: { rank: 3 } }, {}, 'train.yaml')).toThrow(/^train\.yaml: unknown field "lora\.rank"/);
    expect(() => resolveTrainConfig({}, flagFields({ ...job, loraR: '0' }), 'flags')).toThrow(/^flags: lora\.r must be >= 1/);
  });
});
