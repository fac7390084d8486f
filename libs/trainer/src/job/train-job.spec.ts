import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, openModelFolder, readAdapterConfig } from '@ftune/model-gpt-neo';
import { OPTIMIZER_FILE, readOptimizer } from '../checkpoint/checkpoint';
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

  it(
    'trains LoRA adapters and, with bias all, the biases only: model/ is a PEFT adapter on the frozen base/, optimizer state for those alone, exact resume',
    { timeout: 300_000 },
    async () => {
      const lora = { lora: { r: 4, alpha: 8, targets: ['q_proj' as const, 'v_proj' as const, 'c_fc' as const], bias: 'all' as const } };
      // the interrupted and resumed run recomputes activations: its adapters must still equal the unbroken run's
      const checkpointing = { gradient_checkpointing: true };
      const lines: string[] = [];
      const unbroken = await runTrainJob(config('lora-a', lora), { log: (l) => lines.push(l) });
      expect(unbroken.status).toBe('completed');
      // tiny: 2 blocks of hidden 32, MLP 128; q, v: 2·(32·4 + 4·32), c_fc: 32·4 + 4·128 per block; the biases:
      // ln_1, ln_2, out_proj, c_proj 32 and c_fc 128 per block, ln_f 32
      expect(unbroken.parameters.trainable).toBe(2 * (2 * 256 + 640) + 2 * (4 * 32 + 128) + 32);
      expect(unbroken.parameters.adapter).toEqual({ r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj', 'c_fc'], bias: 'all' });
      expect(lines.join('\n')).toMatch(/LoRA adapters r=4 alpha=8 .* with every bias: 2,848 trainable of [\d,]+ parameters/);
      const out = path.join(root, 'lora-a');
      const modelDir = path.join(out, 'model');
      expect(fs.readdirSync(modelDir).sort()).toEqual(
        expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors', 'tokenizer.json']),
      );
      expect(fs.existsSync(path.join(modelDir, 'model.safetensors'))).toBe(false);
      expect(readAdapterConfig(modelDir).baseModel).toBe(path.join(out, 'base'));
      const moments = readOptimizer(path.join(out, 'checkpoint-2', OPTIMIZER_FILE), 2).expAvg;
      const keys = [...moments.keys()];
      expect(keys.filter((k) => /\.lora_[AB]\.weight$/.test(k))).toHaveLength(12);
      expect(keys.filter((k) => /\.bias$/.test(k))).toHaveLength(11);
      expect(moments.size).toBe(23); // nothing else: the weights of the base have no moments
      // the trained adapter changes the base's predictions
      const ids = { batchSize: 1, seqLen: 4, inputIds: Int32Array.from([10, 20, 30, 40]) };
      const adapted = openModelFolder(modelDir);
      const base = loadModel(path.join(out, 'base'));
      expect(unbroken.parameters.total).toBe(base.parameterCount().total + 2304);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(adapted.model.logits(ids), base.logits(ids)))).dataSync()[0]);
      expect(diff).toBeGreaterThan(1e-4);
      adapted.model.dispose();
      base.dispose();

      const controller = new AbortController();
      const stopped = await runTrainJob(config('lora-b', { ...lora, ...checkpointing }), {
        signal: controller.signal,
        onEvent: (e) => void (e.type === 'step' && e.record.step === 1 && controller.abort()),
      });
      expect(stopped.status).toBe('interrupted');
      const resumed = await runTrainJob(config('lora-b', { ...lora, ...checkpointing, resume: true }));
      expect(resumed.globalStep).toBe(2);
      const bytes = (run: string): Buffer =>
        fs.readFileSync(path.join(root, run, 'model', 'adapter_model.safetensors'));
      expect(bytes('lora-b').equals(bytes('lora-a'))).toBe(true);
    },
  );

  it('refuses an adapter folder as the model to train, pointing at its base and ftune merge', async () => {
    const adapter = path.join(root, 'an-adapter');
    fs.mkdirSync(adapter, { recursive: true });
    fs.writeFileSync(path.join(adapter, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 8 }));
    await expect(runTrainJob(config('d', { model: adapter }))).rejects.toThrow(/is a LoRA adapter folder: train from its base .* ftune merge/);
  });

  it('says which field is wrong before loading anything', async () => {
    await expect(runTrainJob(config('c', { model: 'no-such-preset' }))).rejects.toThrow(
      /unknown GPT-Neo preset "no-such-preset"/,
    );
  });
});
