// Packing changes how examples sit in a batch, never what they teach: on the same examples (with
// per-example loss weights, as reweighing sets them) the token-weighted loss of a packed batch equals
// that of the padded batch, gradients included, and a packed evaluation gives the padded one's loss;
// a training job with packing on (and per-record weights, as the pipeline's reweighing passes them)
// takes the same first step as the padded job.
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { completionOnlyConfig, fromConfig, packedBatches, type Example } from '@ftune/collator';
import { createModel } from '@ftune/model-gpt-neo';
import { loadTokenizer } from '@ftune/tokenizer';
import { evaluate } from '../loop/evaluate';
import type { TrainerEvent } from '../train';
import type { DataSource } from '../types';
import { runTrainJob } from './train-job';

const tokenizer = loadTokenizer('gpt2');
const model = createModel('tiny', 3);
afterAll(() => model.dispose());

const texts = [
  'Review: a warm, funny film with a great cast.\n### Answer: positive',
  'Review: dull\n### Answer: negative',
  'Review: the soup was cold and the bread was stale, and nobody came to the table for an hour.\n### Answer: negative',
  'Review: fine\n### Answer: neutral',
  'Review: we will be back next week with friends.\n### Answer: positive',
  'Review: too loud\n### Answer: negative',
];
const examples: Example[] = texts.map((text, i) => ({
  inputIds: tokenizer.encodeIds(text),
  name: `record ${i + 1}`,
  weight: [0.5, 2, 1, 1.5, 0.25, 3][i],
}));
const common = { responseTemplate: '### Answer:', maxLength: 64, appendEos: true, keepEos: true };
const padded = fromConfig(completionOnlyConfig(common, tokenizer));
const packed = fromConfig(completionOnlyConfig({ ...common, packLength: 64 }, tokenizer));

function lossAndGrads(batch: ReturnType<typeof padded.collate>['batch']) {
  const kept: { tokens?: tf.Scalar } = {};
  const { value, grads } = tf.variableGrads(() => {
    const t = model.lossTerms(batch, { training: false });
    kept.tokens = tf.keep(t.tokens);
    return t.lossSum;
  }, model.trainableVariables);
  return { lossSum: value, tokens: kept.tokens as tf.Scalar, grads };
}

describe('packing: the same loss as padded batches on the same examples', () => {
  it('packs the six examples into fewer rows, positions restarting per example', () => {
    const { batch } = packed.collate(examples);
    expect(batch.batchSize).toBeLessThan(examples.length);
    expect(batch.positionIds?.filter((p) => p === 0).length).toBeGreaterThanOrEqual(examples.length);
    expect(batch.tokenWeights).toBeDefined();
  });

  it('gives the token-weighted loss sum, token count and gradients of the padded batch', () => {
    const a = lossAndGrads(padded.collate(examples).batch);
    const b = lossAndGrads(packed.collate(examples).batch);
    const [sumA, sumB, tokA, tokB] = [a.lossSum, b.lossSum, a.tokens, b.tokens].map((t) => t.dataSync()[0]);
    expect(tokB).toBe(tokA);
    expect(tokA).toBeGreaterThan(examples.length); // the answers and their EOS
    expect(Math.abs(sumB - sumA)).toBeLessThan(1e-4 * Math.abs(sumA));
    // the weights count: the same batch without them gives another loss
    const unweighted = lossAndGrads(packed.collate(examples.map(({ weight: _w, ...e }) => e)).batch);
    expect(Math.abs(unweighted.lossSum.dataSync()[0] - sumA)).toBeGreaterThan(1e-2 * Math.abs(sumA));
    let worst = 0;
    for (const [name, g] of Object.entries(a.grads)) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(g, b.grads[name]))).dataSync()[0]);
      const scale = tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]);
      worst = Math.max(worst, diff / Math.max(scale, 1e-6));
    }
    expect(worst).toBeLessThan(1e-3);
    for (const r of [a, b, unweighted]) tf.dispose([r.lossSum, r.tokens, ...Object.values(r.grads)]);
  });

  it('evaluates packed token-budget batches to the loss of padded batches', async () => {
    const lengths = examples.map((e) => packed.collate([e]).batch.attentionMask.reduce((n, m) => n + m, 0));
    const source = (collate: typeof padded, packedRows: boolean): DataSource<Example> => ({
      examples,
      collate: (batch) => collate.collate(batch).batch,
      ...(packedRows && {
        evalBatches: (rows: number) => packedBatches(lengths, { rowLength: 64, rowsPerBatch: rows, seed: 0 }),
      }),
    });
    const a = await evaluate(model, source(padded, false), 2, 0);
    const b = await evaluate(model, source(packed, true), 1, 0);
    expect(Math.abs(b.eval_loss - a.eval_loss)).toBeLessThan(1e-4 * a.eval_loss);
    expect(b.eval_token_accuracy).toBeCloseTo(a.eval_token_accuracy, 6);
  });
});

describe('runTrainJob with packing on', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-packing-job-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const data = path.join(root, 'data');
  fs.mkdirSync(data);
  const records = texts.map((t) => {
    const [prompt, completion] = t.split('### Answer:');
    return JSON.stringify({ prompt: `${prompt}### Answer:`, completion });
  });
  fs.writeFileSync(path.join(data, 'train.jsonl'), `${records.join('\n')}\n`);
  for (const split of ['validation', 'test']) fs.writeFileSync(path.join(data, `${split}.jsonl`), '');
  const split = (n: number) => ({ records: n, sha256: '' });
  fs.writeFileSync(
    path.join(data, 'manifest.json'),
    JSON.stringify({
      version: 1,
      splits: { train: split(texts.length), validation: split(0), test: split(0) },
    }),
  );
  const weights = [0.5, 2, 1, 1.5, 0.25, 3];

  /** The first step's record of a one-step job: all six records in one batch (one packed row or six padded). */
  async function firstStep(out: string, packing: boolean, weighted: boolean) {
    const events: TrainerEvent[] = [];
    const result = await runTrainJob(
      {
        model: 'tiny',
        dataset: data,
        out: path.join(root, out),
        response_template: '### Answer:',
        max_length: 256,
        max_steps: 1,
        batch_size: packing ? 1 : texts.length,
        learning_rate: 1e-3,
        save_steps: 0,
        packing,
      },
      { onEvent: (e) => events.push(e), ...(weighted && { trainWeight: (_r, i) => weights[i] }) },
    );
    expect(result.status).toBe('completed');
    const steps = events.flatMap((e) => (e.type === 'step' ? [e.record] : []));
    expect(steps).toHaveLength(1);
    return steps[0];
  }

  it(
    'takes the same weighted loss and gradient norm as padded batches of the same records',
    { timeout: 300_000 },
    async () => {
      const padded = await firstStep('padded', false, true);
      const packedStep = await firstStep('packed', true, true);
      expect(Math.abs(packedStep.loss - padded.loss)).toBeLessThan(1e-4 * padded.loss);
      expect(Math.abs(packedStep.grad_norm - padded.grad_norm)).toBeLessThan(1e-3 * padded.grad_norm);
      // the record weights reach the packed rows: without them the loss differs
      const unweighted = await firstStep('packed-unweighted', true, false);
      expect(Math.abs(unweighted.loss - packedStep.loss)).toBeGreaterThan(1e-2 * packedStep.loss);
    },
  );
});
