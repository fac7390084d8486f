import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { gptNeoConfig } from './config';
import { createModel } from './create';

const config = gptNeoConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 32, windowSize: 4, numLayers: 2 });

function batchOf(rows: number[][]) {
  const T = rows[0].length;
  const inputIds = Int32Array.from(rows.flat());
  return { batchSize: rows.length, seqLen: T, inputIds, attentionMask: new Int32Array(inputIds.length).fill(1), labels: inputIds };
}

describe('GPTNeoModel (tiny)', () => {
  const model = createModel(config, 7);
  afterAll(() => model.dispose());

  it('names every variable by its Hugging Face name', () => {
    const names = model.trainableVariables.map((v) => v.name);
    expect(names).toContain('transformer.wte.weight');
    expect(names).toContain('transformer.h.1.attn.attention.q_proj.weight');
    expect(names).toContain('transformer.h.0.attn.attention.out_proj.bias');
    expect(names).not.toContain('transformer.h.0.attn.attention.q_proj.bias');
    expect(names).toHaveLength(2 + 13 * 2 + 2);
  });

  it('gives logits (B, T, V) and finite loss terms without leaking tensors', () => {
    const batch = batchOf([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]);
    const before = tf.memory().numTensors;
    const { loss, tokens, correct, shape } = tf.tidy(() => {
      const terms = model.lossTerms(batch);
      return {
        loss: terms.lossSum.dataSync()[0] / terms.tokens.dataSync()[0],
        tokens: terms.tokens.dataSync()[0],
        correct: terms.correct.dataSync()[0],
        shape: model.logits(batch).shape,
      };
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(shape).toEqual([2, 6, 64]);
    expect(tokens).toBe(10);
    expect(correct).toBeGreaterThanOrEqual(0);
    expect(Math.abs(loss - Math.log(64))).toBeLessThan(0.1); // random init ≈ uniform
  });

  it('generates the same ids for the same seed and stops at max tokens', () => {
    const a = model.generate([1, 2, 3], { maxNewTokens: 6, temperature: 1, seed: 3, eosTokenId: null });
    const b = model.generate([1, 2, 3], { maxNewTokens: 6, temperature: 1, seed: 3, eosTokenId: null });
    expect(a).toEqual(b);
    expect(a).toHaveLength(6);
  });
});
