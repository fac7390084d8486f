import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@ftune/model-gpt-neo';
import type { TrainJobConfig } from '../config/train-config';
import type { TrainerEvent } from '../train';
import { runTrainJob } from './train-job';

let root = '';
const records = (n: number, offset: number): string =>
  Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    return `${JSON.stringify({ prompt: `Review ${k}: the soup was ${k % 2 ? 'great' : 'cold'}.`, completion: k % 2 ? 'positive' : 'negative' })}\n`;
  }).join('');

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-train-job-'));
  const data = path.join(root, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'train.jsonl'), records(4, 0));
  fs.writeFileSync(path.join(data, 'validation.jsonl'), '');
  fs.writeFileSync(path.join(data, 'test.jsonl'), '');
  const split = (n: number) => ({ records: n, sha256: '' });
  fs.writeFileSync(
    path.join(data, 'manifest.json'),
    JSON.stringify({ version: 1, splits: { train: split(4), validation: split(0), test: split(0) } }),
  );
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('runTrainJob with the GPT-Neo tiny preset', () => {
  const config = (out: string, extra: Partial<TrainJobConfig> = {}): TrainJobConfig => ({
    model: 'tiny',
    dataset: path.join(root, 'data'),
    out: path.join(root, out),
    response_template: '### Answer:',
    max_steps: 2,
    batch_size: 2,
    learning_rate: 1e-3,
    save_steps: 1,
    ...extra,
  });

  // the pure-JS backend needs seconds per step for the 50257-token vocabulary: two steps, then one + one
  it(
    'trains, writes a Hugging Face model folder, and resumes exactly after an interruption',
    { timeout: 300_000 },
    async () => {
      const events: TrainerEvent[] = [];
      const unbroken = await runTrainJob(config('a'), { onEvent: (e) => events.push(e) });
      expect(unbroken.status).toBe('completed');
      expect(unbroken.examples).toEqual({ train: 4, validation: 0, untrainable: 0 });
      const steps = events.flatMap((e) => (e.type === 'step' ? [e.record] : []));
      expect(steps).toHaveLength(2);
      expect(steps[1].loss).toBeLessThan(steps[0].loss);
      const modelDir = path.join(root, 'a', 'model');
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.json', 'merges.txt']) {
        expect(fs.existsSync(path.join(modelDir, f)), f).toBe(true);
      }
      const reloaded = loadModel(modelDir);
      expect(reloaded.config.hiddenSize).toBe(32);
      reloaded.dispose();

      const controller = new AbortController();
      const stopped = await runTrainJob(config('b'), {
        signal: controller.signal,
        onEvent: (e) => void (e.type === 'step' && e.record.step === 1 && controller.abort()),
      });
      expect(stopped.status).toBe('interrupted');
      const resumed = await runTrainJob(config('b', { resume: true }));
      expect(resumed.globalStep).toBe(2);
      const bytes = (run: string): Buffer =>
        fs.readFileSync(path.join(root, run, 'model', 'model.safetensors'));
      expect(bytes('b').equals(bytes('a'))).toBe(true);
    },
  );

  it('says which field is wrong before loading anything', async () => {
    await expect(runTrainJob(config('c', { model: 'no-such-preset' }))).rejects.toThrow(
      /unknown GPT-Neo preset "no-such-preset"/,
    );
  });
});
