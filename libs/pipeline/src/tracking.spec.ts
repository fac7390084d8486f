import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeRunConfig } from './config';
import { runPipeline } from './runner';
import { runParams } from './tracking';

const dir = fs.mkdtempSync(join(os.tmpdir(), 'ftune-tracking-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const config = (extra: Record<string, unknown> = {}) =>
  normalizeRunConfig({ dataset: { path: 'data.jsonl' }, model: { preset: 'tiny' }, ...extra }, dir);

describe('run tracking settings', () => {
  it('refuses a non-HTTP MLflow URI, naming where it came from, before the run folder is written', async () => {
    await expect(
      runPipeline({ config: config(), runId: 'a', tracking: { mlflowUri: 'file:///tmp/mlruns', env: {} } }),
    ).rejects.toThrow(/--mlflow-uri: must be an http\(s\) URI/);
    const fromConfig = config({ tracking: { mlflow: { trackingUri: 'sqlite:///mlflow.db' } } });
    await expect(runPipeline({ config: fromConfig, runId: 'b', tracking: { env: {} } })).rejects.toThrow(
      /tracking\.mlflow\.trackingUri: must be an http\(s\) URI/,
    );
    expect(fs.existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('validates the tracking section of the run config', () => {
    expect(() => config({ tracking: { tensorboard: 'yes' } })).toThrow(
      /tracking\.tensorboard: must be boolean/,
    );
    expect(() => config({ tracking: { mlflow: { uri: 'http://x' } } })).toThrow(
      /tracking\.mlflow\.uri: unknown field/,
    );
    expect(config({ tracking: {} }).tracking?.tensorboard).toBe(true);
  });

  it('logs the hyperparameters as params, without the local paths', () => {
    const params = runParams(config({ training: { learningRate: 0.001, maxSteps: 7 } }));
    expect(params).toMatchObject({
      'training.learningRate': 0.001,
      'training.maxSteps': 7,
      'model.preset': 'tiny',
      'dataset.split': '[0.8,0.1,0.1]',
    });
    expect(
      Object.keys(params).some((k) => k === 'dataset.path' || k === 'runsDir' || k.startsWith('tracking')),
    ).toBe(false);
  });
});
