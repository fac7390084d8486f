// The loss is computed with the head applied only at positions that carry a label. These specs hold it to the
// plain definition -- every position's logits, log-softmax over the vocabulary, masked sum -- for the loss, the
// argmax hits and every parameter's gradient, the tied embedding's included.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { gptNeoConfig } from './config';
import { createModel } from './create';
import { type GPTNeoBatch, IGNORE_INDEX } from './model';
import { maxRelativeDiff } from './ops/grad-check';

const config = gptNeoConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 32, windowSize: 4, numLayers: 2 });
const TOLERANCE = 1e-5; // relative to the largest entry; float32 sums in a different order

/** Two rows of 8: a completion-only row (labels on the last three tokens) and a row with a padded tail. */
function completionBatch(): GPTNeoBatch {
  const inputIds = Int32Array.from([5, 9, 13, 2, 40, 41, 7, 3, 11, 12, 13, 14, 15, 1, 0, 0]);
  const _ = IGNORE_INDEX;
  const labels = Int32Array.from([_, _, _, _, _, 41, 7, 3, _, _, _, 14, 15, 1, _, _]);
  const attentionMask = Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  return { batchSize: 2, seqLen: 8, inputIds, attentionMask, labels, exampleWeights: Float32Array.from([1, 0.5]) };
}

describe('loss at labelled positions only', () => {
  const model = createModel(config, 3);
  const vars = model.trainableVariables;
  afterAll(() => model.dispose());

  /** The plain definition over every position's logits. */
  function fullLogitsTerms(batch: GPTNeoBatch) {
    const { batchSize: B, seqLen: T, labels } = batch;
    const targets = new Int32Array(B * T);
    const weights = new Float32Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t + 1 < T; t++) {
        const label = (labels as Int32Array)[b * T + t + 1];
        if (label === IGNORE_INDEX) continue;
        targets[b * T + t] = label;
        weights[b * T + t] = batch.exampleWeights?.[b] ?? 1;
      }
    }
    const logits = tf.reshape(model.logits(batch, { training: true }), [B * T, config.vocabSize]);
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(targets, 'int32'), config.vocabSize)), 1);
    const lossSum = tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(weights)))) as tf.Scalar;
    const hits = tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(targets, 'int32')), 'float32');
    const correct = tf.sum(tf.mul(hits, tf.cast(tf.greater(tf.tensor1d(weights), 0), 'float32')));
    return { lossSum, correct };
  }

  it('gives the loss, the hits and every gradient of the full-logits definition', () => {
    const batch = completionBatch();
    const ours = tf.variableGrads(() => model.lossTerms(batch, { training: true }).lossSum, vars);
    const theirs = tf.variableGrads(() => fullLogitsTerms(batch).lossSum, vars);
    expect(ours.value.dataSync()[0]).toBeGreaterThan(0);
    expect(maxRelativeDiff(ours.value.dataSync(), theirs.value.dataSync())).toBeLessThan(TOLERANCE);
    expect(Object.keys(ours.grads).sort()).toEqual(Object.keys(theirs.grads).sort());
    for (const name of Object.keys(theirs.grads)) {
      const diff = maxRelativeDiff(ours.grads[name].dataSync(), theirs.grads[name].dataSync());
      expect(diff, name).toBeLessThan(TOLERANCE);
    }
    const wte = ours.grads['transformer.wte.weight'].dataSync();
    expect(wte.some((g) => g !== 0)).toBe(true); // the tied head's gradient reaches the embedding
    const counts = tf.tidy(() => {
      const t = model.lossTerms(batch);
      return [t.tokens.dataSync()[0], t.correct.dataSync()[0], fullLogitsTerms(batch).correct.dataSync()[0]];
    });
    expect(counts[0]).toBe(6);
    expect(counts[1]).toBe(counts[2]);
    tf.dispose([ours.value, theirs.value, ...Object.values(ours.grads), ...Object.values(theirs.grads)]);
  });

  it('keeps a zero loss with a path to every parameter when no position carries a label', () => {
    const batch = { ...completionBatch(), labels: new Int32Array(16).fill(IGNORE_INDEX) };
    const { value, grads } = tf.variableGrads(() => model.lossTerms(batch).lossSum, vars);
    expect(value.dataSync()[0]).toBe(0);
    expect(Object.values(grads).every((g) => g.dataSync().every((x) => x === 0))).toBe(true);
    const t = tf.tidy(() => {
      const terms = model.lossTerms(batch);
      return [terms.tokens.dataSync()[0], terms.correct.dataSync()[0]];
    });
    expect(t).toEqual([0, 0]);
    tf.dispose([value, ...Object.values(grads)]);
  });

  it('scores tokens as log-softmax of the full logits (tokenLogProbs), zero where no label', () => {
    const batch = completionBatch();
    const ours = model.tokenLogProbs(batch);
    const want = tf.tidy(() => {
      const lsm = tf.logSoftmax(tf.reshape(model.logits(batch), [16, config.vocabSize])).arraySync() as number[][];
      const labels = batch.labels as Int32Array;
      return Array.from(labels, (l, i) => (l === IGNORE_INDEX || i % 8 === 0 ? 0 : lsm[i - 1][l]));
    });
    expect(maxRelativeDiff(ours, want)).toBeLessThan(TOLERANCE);
    expect(ours.filter((x) => x !== 0)).toHaveLength(6);
  });

  it('logitsAt equals the rows of the full logits', () => {
    const batch = completionBatch();
    const positions = Int32Array.from([4, 6, 12]);
    const [ours, full] = tf.tidy(() => [
      model.logitsAt(batch, positions).dataSync(),
      tf.gather(tf.reshape(model.logits(batch), [16, config.vocabSize]), tf.tensor1d(positions, 'int32')).dataSync(),
    ]);
    expect(maxRelativeDiff(ours, full)).toBeLessThan(TOLERANCE);
    expect(() => model.logitsAt(batch, Int32Array.from([16]))).toThrow(/outside 0..15/);
  });
});
