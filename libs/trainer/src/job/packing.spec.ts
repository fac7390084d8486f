// Packing changes how examples sit in a batch, never what they teach: on the same examples (with
// per-example loss weights, as reweighing sets them) the token-weighted loss of a packed batch equals
// that of the padded batch, gradients included, and a packed evaluation gives the padded one's loss.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { completionOnlyConfig, fromConfig, packedBatches, type Example } from '@ftune/collator';
import { createModel } from '@ftune/model-gpt-neo';
import { loadTokenizer } from '@ftune/tokenizer';
import { evaluate } from '../loop/evaluate';
import type { DataSource } from '../types';

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
