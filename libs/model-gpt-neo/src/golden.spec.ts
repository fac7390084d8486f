// Parity with transformers 4.53.2 GPTNeoForCausalLM (eager) on the tiny random model of tools/golden/gpt_neo.py:
// logits and loss within 1e-4 relative, gradients within 1e-3, for right- and left-padded batches.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from './io';
import { setExplicitTransposes } from './ops/matmul';
import { GOLDEN_DIR, goldenBatch, goldenGradNames, goldenLayoutGrads, openGolden } from './testing/golden';
import { relativeError } from './testing/relative-error';

const golden = openGolden();
const GRADS = goldenGradNames(golden);
const batchOf = (side: string) => goldenBatch(golden, side);

describe('GPT-Neo against transformers (golden fixtures)', () => {
  const model = loadModel(path.join(GOLDEN_DIR, 'tiny'));
  afterAll(() => {
    model.dispose();
    golden.close();
  });

  for (const side of ['right', 'left']) {
    describe(`${side}-padded batch`, () => {
      const batch = batchOf(side);

      it('matches the logits at every position (padding slots included) within 1e-4', () => {
        const ours = tf.tidy(() => model.logits(batch).dataSync());
        const err = relativeError(ours, golden.readFloat32(`${side}.logits`));
        expect(err).toBeLessThan(1e-4);
      });

      it('matches the loss within 1e-4', () => {
        const want = golden.readFloat32(`${side}.loss`)[0];
        expect(Math.abs(model.loss(batch) - want) / want).toBeLessThan(1e-4);
      });

      it('matches the gradients of the mean loss within 1e-3', () => {
        const grads = goldenLayoutGrads(model, batch, GRADS);
        GRADS.forEach((n, i) => {
          expect(relativeError(grads[i], golden.readFloat32(`${side}.grad.${n}`)), n).toBeLessThan(1e-3);
        });
      });
    });
  }

  it('gives the same loss and gradients with explicit transposes (the path taken on wasm)', () => {
    const batch = batchOf('left');
    const vars = GRADS.map((n) => model.param(n));
    const run = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const t = model.lossTerms(batch);
          return tf.div(t.lossSum, t.tokens) as tf.Scalar;
        }, vars);
        return [value.dataSync()[0], ...GRADS.flatMap((n) => Array.from(grads[n].dataSync()))];
      });
    const flags = run();
    setExplicitTransposes(true);
    try {
      expect(relativeError(run(), flags)).toBeLessThan(1e-6);
    } finally {
      setExplicitTransposes(undefined);
    }
  });

  it('derives position ids from the mask for a left-padded batch (same logits as explicit positions)', () => {
    const batch = batchOf('left');
    const derived = tf.tidy(() => model.logits({ ...batch, positionIds: undefined }).dataSync());
    const explicit = tf.tidy(() => model.logits(batch).dataSync());
    const mask = batch.attentionMask as Int32Array;
    expect(relativeError(derived, explicit, (i) => mask[Math.floor(i / model.config.vocabSize)] === 1)).toBe(0);
  });
});
