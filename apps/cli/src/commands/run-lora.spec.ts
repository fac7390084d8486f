// `ftune run` with training.lora end to end, as a real process, on a reduced config of the bundled example: the
// train stage leaves a peft adapter folder on the frozen start model, evaluation and the audit open it as base +
// adapter, and the report says what was trained.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, writeExampleConfig } from './example-config.testing';

const { dir: tmp, config } = writeExampleConfig({
  name: 'lora',
  runId: 'lora-1',
  maxRecords: 120,
  maxSteps: 3,
  samples: 1,
  training: ['  lora: { r: 4, alpha: 8, targets: [q_proj, v_proj, c_fc] }'],
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('ftune run with training.lora', () => {
  it('trains adapters only and carries them through evaluation, the audit and the report', () => {
    const r = spawnSync(process.execPath, [BIN, 'run', config], { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const runDir = join(tmp, 'runs', 'lora-1');
    const model = join(runDir, 'train', 'model');
    expect(fs.existsSync(join(model, 'adapter_model.safetensors'))).toBe(true);
    expect(fs.existsSync(join(model, 'model.safetensors'))).toBe(false);
    const adapterConfig = JSON.parse(fs.readFileSync(join(model, 'adapter_config.json'), 'utf8'));
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'c_fc'] });
    expect(adapterConfig.base_model_name_or_path).toBe(join(runDir, 'train', 'start-model'));
    const result = JSON.parse(fs.readFileSync(join(runDir, 'train', 'result.json'), 'utf8'));
    // tiny: 2 blocks; q, v: 32·4 + 4·32 each, c_fc: 32·4 + 4·128
    expect(result.parameters).toMatchObject({ trainable: 2304, adapter: { r: 4, alpha: 8 } });
    expect(r.stderr).toMatch(/LoRA adapters r=4 alpha=8 .*: 2,304 trainable of [\d,]+ parameters/);
    // the summary at the end says it too
    expect(r.stderr).toMatch(/\n {2}trained +LoRA adapter \(r 4, alpha 8, dropout 0, on q_proj, v_proj, c_fc\): 2,304 trainable of [\d,]+ \(0\.\d\d%\), the base frozen\n/);
    const run = JSON.parse(fs.readFileSync(join(runDir, 'run.json'), 'utf8')) as { status: string; stages: Array<{ stage: string; status: string }> };
    expect(run.status).toBe('succeeded');
    expect(run.stages.map((s) => `${s.stage}:${s.status}`)).toEqual(['ingest:done', 'tokenize:done', 'train:done', 'evaluate:done', 'audit:done']);
    const report = fs.readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(report).toMatch(/LoRA adapter \(r 4, alpha 8, dropout 0, on q_proj, v_proj, c_fc\): 2,304 trainable of [\d,]+ \(0\.\d\d%\), the base frozen/);
  });
});
