import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { gptNeoConfig } from './config';
import { createModel } from './create';
import { type GPTNeoBatch, type GPTNeoModel } from './model';

const config = gptNeoConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 32, windowSize: 4, numLayers: 2 });

function batchOf(rows: number[][], extra: Partial<GPTNeoBatch> = {}): GPTNeoBatch {
  const inputIds = Int32Array.from(rows.flat());
  return { batchSize: rows.length, seqLen: rows[0].length, inputIds, attentionMask: new Int32Array(inputIds.length).fill(1), labels: inputIds, ...extra };
}

function logits(model: GPTNeoModel, batch: GPTNeoBatch): Float32Array {
  return tf.tidy(() => model.logits(batch).dataSync() as Float32Array);
}

function terms(model: GPTNeoModel, batch: GPTNeoBatch) {
  return tf.tidy(() => {
    const t = model.lossTerms(batch);
    return { lossSum: t.lossSum.dataSync()[0], tokens: t.tokens.dataSync()[0], correct: t.correct.dataSync()[0] };
  });
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

  it('initialises as HF: weights N(0, 0.02), biases 0, LayerNorm 1 / 0, the same for the same seed', () => {
    const wte = model.param('transformer.wte.weight').dataSync() as Float32Array;
    const mean = wte.reduce((a, b) => a + b, 0) / wte.length;
    const std = Math.sqrt(wte.reduce((a, b) => a + (b - mean) ** 2, 0) / wte.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    expect(new Set(model.param('transformer.h.0.ln_1.weight').dataSync())).toEqual(new Set([1]));
    expect(new Set(model.param('transformer.h.0.mlp.c_fc.bias').dataSync())).toEqual(new Set([0]));
    const again = createModel(gptNeoConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 32, windowSize: 4, numLayers: 2 }), 7);
    const same = Array.from(again.param('transformer.wte.weight').dataSync().slice(0, 8));
    expect(again.variablePrefix).toBe('model2/'); // two live models: tfjs variable names must differ
    expect(again.hfName(again.trainableVariables[0])).toBe('transformer.wte.weight');
    again.dispose();
    expect(same).toEqual(Array.from(wte.slice(0, 8)));
  });

  it('gives logits (B, T, V) and loss terms without leaking tensors', () => {
    const batch = batchOf([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]);
    const before = tf.memory().numTensors;
    const t = terms(model, batch);
    expect(tf.tidy(() => model.logits(batch).shape)).toEqual([2, 6, 64]);
    expect(tf.memory().numTensors).toBe(before);
    expect(t.tokens).toBe(10); // T − 1 per row
    expect(Math.abs(t.lossSum / t.tokens - Math.log(64))).toBeLessThan(0.1); // random init ≈ uniform
  });

  it('ignores −100 labels, weights rows by exampleWeights and counts argmax hits', () => {
    const labels = Int32Array.from([1, 2, -100, 4, 5, 6, 7, 8, 9, -100, -100, -100]);
    const base = batchOf([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]], { labels });
    const plain = terms(model, base);
    expect(plain.tokens).toBe(6); // row 0: targets 2, 4, 5, 6; row 1: 8, 9
    const weighted = terms(model, { ...base, exampleWeights: Float32Array.from([2, 0]) });
    const logp = model.tokenLogProbs(base);
    const row0 = -Array.from(logp.slice(0, 6)).reduce((a, b) => a + b, 0);
    expect(weighted.lossSum).toBeCloseTo(2 * row0, 4);
    expect([weighted.tokens, weighted.correct]).toEqual([plain.tokens, plain.correct]); // weights scale the loss only
    expect(plain.lossSum).toBeCloseTo(-Array.from(logp).reduce((a, b) => a + b, 0), 4);
    expect(Array.from(logp.slice(0, 3))).toEqual([0, expect.any(Number), 0]);
    // Argmax hits: teach the labels to be the argmax by feeding a batch whose labels are the model's own predictions.
    const l = logits(model, base);
    const predicted = Int32Array.from({ length: 12 }, (_, i) => {
      if (i % 6 === 0) return -100;
      const row = l.subarray((i - 1) * 64, i * 64);
      return row.indexOf(Math.max(...row));
    });
    expect(terms(model, { ...base, labels: predicted }).correct).toBe(10);
  });

  it('lets local layers see only the window: token 0 does not reach position ≥ window in a one-layer local model', () => {
    const local = createModel({ ...config, numLayers: 1, attentionLayers: ['local'] }, 1);
    const a = logits(local, batchOf([[1, 2, 3, 4, 5, 6]]));
    const b = logits(local, batchOf([[9, 2, 3, 4, 5, 6]]));
    local.dispose();
    const global = createModel({ ...config, numLayers: 1, attentionLayers: ['global'] }, 1);
    const c = logits(global, batchOf([[1, 2, 3, 4, 5, 6]]));
    const d = logits(global, batchOf([[9, 2, 3, 4, 5, 6]]));
    global.dispose();
    const V = 64;
    expect(Array.from(a.slice(3 * V, 4 * V))).not.toEqual(Array.from(b.slice(3 * V, 4 * V))); // 3 − 0 < 4: visible
    expect(Array.from(a.slice(4 * V))).toEqual(Array.from(b.slice(4 * V))); // 4 − 0 = window: hidden
    expect(Array.from(c.slice(5 * V))).not.toEqual(Array.from(d.slice(5 * V)));
  });

  it('keeps packed examples apart: a packed row equals its examples run alone', () => {
    const first = [3, 1, 4, 1, 5];
    const second = [9, 2, 6];
    const packed = batchOf([[...first, ...second]], {
      segmentIds: Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1]),
      labels: Int32Array.from([-100, 1, 4, 1, 5, -100, 2, 6]),
    });
    const p = logits(model, packed);
    const alone = [...logits(model, batchOf([first])), ...logits(model, batchOf([second]))];
    p.forEach((v, i) => expect(v).toBeCloseTo(alone[i], 5));
    const separate = terms(model, batchOf([first])).lossSum + terms(model, batchOf([second])).lossSum;
    const t = terms(model, packed);
    expect(t.tokens).toBe(6);
    expect(t.lossSum).toBeCloseTo(separate, 4);
  });

  it('generates with the KV cache exactly what step-by-step full forward passes pick (greedy)', () => {
    const prompt = [5, 9, 1];
    const fast = model.generate(prompt, { maxNewTokens: 8, eosTokenId: null });
    const slow = [...prompt];
    for (let i = 0; i < 8; i++) {
      const l = logits(model, batchOf([slow]));
      const last = l.subarray((slow.length - 1) * 64);
      slow.push(last.indexOf(Math.max(...last)));
    }
    expect(fast).toEqual(slow.slice(prompt.length));
  });

  it('samples reproducibly per seed and stops at EOS or max tokens', () => {
    const opts = { maxNewTokens: 6, temperature: 1, topK: 10, topP: 0.9, eosTokenId: null };
    const a = model.generate([1, 2, 3], { ...opts, seed: 3 });
    expect(model.generate([1, 2, 3], { ...opts, seed: 3 })).toEqual(a);
    expect(a).toHaveLength(6);
    const greedy = model.generate([1, 2, 3], { maxNewTokens: 6, eosTokenId: null });
    expect(model.generate([1, 2, 3], { maxNewTokens: 6, eosTokenId: greedy[2] })).toEqual(greedy.slice(0, greedy.indexOf(greedy[2])));
    expect(model.generate([1, 2, 3], { maxNewTokens: 0 })).toEqual([]);
  });

  it('stops generating at the last position the model has', () => {
    // 32 positions, prompt 30: the tokens read at positions 30 and 31 yield the 2nd and 3rd new tokens.
    const out = model.generate(Array.from({ length: 30 }, (_, i) => i), { maxNewTokens: 10, eosTokenId: null });
    expect(out).toHaveLength(3);
  });

  it('refuses ids outside the vocabulary and sequences longer than the positions', () => {
    expect(() => model.logits(batchOf([[1, 64]]))).toThrow(/token id 64 at row 0 is outside the vocabulary/);
    expect(() => model.logits(batchOf([Array.from({ length: 33 }, () => 1)]))).toThrow(/position 32 is beyond the model's 32 positions/);
    expect(() => model.generate([])).toThrow(/prompt is empty/);
  });
});
