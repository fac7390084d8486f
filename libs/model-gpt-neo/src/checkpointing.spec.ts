// Gradient checkpointing: each block run again in the backward pass gives the gradients of the plain path (within
// 1e-5 relative) for every parameter and for LoRA adapters, on padded and on packed rows, leaves no tensor behind,
// and replays a block's dropout masks exactly (the loss of the recomputed block is the one the forward pass saw).
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it } from 'vitest';
import { SafetensorsReader } from '@ftune/safetensors';
import { gptNeoConfig } from './config';
import { createModel } from './create';
import { loadModel } from './io';
import type { GPTNeoBatch, GPTNeoModel } from './model';
import { relativeError } from './testing/relative-error';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'gpt-neo');
const inputs = SafetensorsReader.open(path.join(FIXTURES, 'golden.safetensors'));
const padded: GPTNeoBatch = {
  batchSize: 3,
  seqLen: 12,
  inputIds: inputs.readInt32('left.input_ids'),
  attentionMask: inputs.readInt32('left.attention_mask'),
  labels: inputs.readInt32('left.labels'),
  positionIds: inputs.readInt32('left.position_ids'),
};
inputs.close();

/** Two packed rows of 16: segments of 7, 5 | 9, 4, then padding (segment −1). */
function packedBatch(vocab: number): GPTNeoBatch {
  const T = 16;
  const rows = [[7, 5], [9, 4]];
  const inputIds = new Int32Array(2 * T);
  const segmentIds = new Int32Array(2 * T).fill(-1);
  const positionIds = new Int32Array(2 * T);
  const labels = new Int32Array(2 * T).fill(-100);
  rows.forEach((lengths, b) => {
    let at = b * T;
    lengths.forEach((n, s) => {
      for (let t = 0; t < n; t++) {
        inputIds[at + t] = (b * 11 + s * 5 + t * 3 + 1) % vocab;
        segmentIds[at + t] = s;
        positionIds[at + t] = t;
        labels[at + t] = t === 0 ? -100 : inputIds[at + t];
      }
      at += n;
    });
  });
  const attentionMask = Int32Array.from(segmentIds, (s) => (s < 0 ? 0 : 1));
  return { batchSize: 2, seqLen: T, inputIds, attentionMask, labels, segmentIds, positionIds };
}


/** The summed loss and its gradients for every trainable variable, read back. */
function lossAndGrads(model: GPTNeoModel, batch: GPTNeoBatch, checkpointing: boolean): { loss: number; grads: Map<string, Float32Array> } {
  model.gradientCheckpointing = checkpointing;
  try {
    const { value, grads } = tf.variableGrads(() => model.lossTerms(batch, { training: true }).lossSum, model.trainableVariables);
    const out = { loss: value.dataSync()[0], grads: new Map(Object.entries(grads).map(([n, g]) => [n, g.dataSync() as Float32Array])) };
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    return out;
  } finally {
    model.gradientCheckpointing = false;
  }
}

function expectSameGradients(model: GPTNeoModel, batch: GPTNeoBatch): void {
  const plain = lossAndGrads(model, batch, false);
  const before = tf.memory().numTensors;
  const recomputed = lossAndGrads(model, batch, true);
  expect(tf.memory().numTensors).toBe(before); // nothing kept from the recomputation
  expect(Math.abs(recomputed.loss - plain.loss) / plain.loss).toBeLessThan(1e-6);
  expect([...recomputed.grads.keys()].sort()).toEqual([...plain.grads.keys()].sort());
  for (const [name, g] of plain.grads) expect(relativeError(recomputed.grads.get(name) as Float32Array, g), name).toBeLessThan(1e-5);
}

describe('gradient checkpointing', () => {
  const models: GPTNeoModel[] = [];
  afterEach(() => models.splice(0).forEach((m) => m.dispose()));

  it('gives every parameter the gradient of the plain path (global and local layers, left padding)', () => {
    const model = loadModel(path.join(FIXTURES, 'tiny'));
    models.push(model);
    expectSameGradients(model, padded);
  });

  it('gives LoRA adapters the gradients of the plain path, the frozen base none', () => {
    const model = loadModel(path.join(FIXTURES, 'tiny'));
    models.push(model);
    const lora = model.attachLora({ r: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'v_proj', 'c_fc', 'c_proj'] }, 3);
    lora.variables.forEach((v, i) => v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.3, 'float32', i))));
    expectSameGradients(model, padded);
  });

  it('keeps the masks of packed rows for the backward pass', () => {
    const model = createModel(gptNeoConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 32, windowSize: 4, numLayers: 2 }), 5);
    models.push(model);
    expectSameGradients(model, packedBatch(64));
  });

  it('holds less memory at its peak than keeping the activations of every block (8 blocks: under 60%)', async () => {
    const model = createModel(gptNeoConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 64, numLayers: 8 }), 5);
    models.push(model);
    const T = 64;
    const ids = Int32Array.from({ length: 4 * T }, (_, i) => (i * 7) % 64);
    const batch: GPTNeoBatch = { batchSize: 4, seqLen: T, inputIds: ids, attentionMask: new Int32Array(4 * T).fill(1), labels: ids };
    const peak = async (checkpointing: boolean): Promise<number> => {
      const info = await tf.profile(() => void lossAndGrads(model, batch, checkpointing));
      return info.peakBytes;
    };
    const plain = await peak(false);
    const recomputed = await peak(true);
    expect(recomputed).toBeLessThan(0.6 * plain);
  });

  it('drops the same units when a block runs again: the gradients are those of the loss the forward pass computed', () => {
    // with dropout, the gradient g of the checkpointed path must be the gradient of the loss under the masks drawn
    // in its forward pass; fixing those masks (one seed stream per block) makes the loss a function of the weights
    // whose slope along g equals |g|², which a central difference along g checks
    const config = gptNeoConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 32, windowSize: 4, numLayers: 2, residDropout: 0.3, attentionDropout: 0.3 });
    const model = createModel(config, 5);
    models.push(model);
    const batch = packedBatch(64);
    const random = Math.random;
    const replay = (): void => {
      let k = 0;
      Math.random = () => ((k++ * 0.6180339887) % 1); // the blocks' seeds, the same in every pass below
    };
    try {
      replay();
      const { grads } = lossAndGrads(model, batch, true);
      const eps = 1e-2;
      const norm2 = [...grads.values()].reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0);
      const lossAt = (sign: number): number => {
        const saved = model.trainableVariables.map((v) => tf.keep(v.clone()));
        model.trainableVariables.forEach((v) => v.assign(tf.tidy(() => tf.add(v, tf.mul(tf.tensor(grads.get(v.name) as Float32Array, v.shape), sign * eps / Math.sqrt(norm2))))));
        replay();
        const loss = lossAndGrads(model, batch, true).loss;
        model.trainableVariables.forEach((v, i) => v.assign(saved[i]));
        saved.forEach((t) => t.dispose());
        return loss;
      };
      const slope = (lossAt(1) - lossAt(-1)) / (2 * eps);
      expect(Math.abs(slope - Math.sqrt(norm2)) / Math.sqrt(norm2)).toBeLessThan(2e-2);
    } finally {
      Math.random = random;
    }
  });
});
