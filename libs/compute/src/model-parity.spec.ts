// The whole GPT-Neo training computation -- loss and the gradient of every parameter -- on each backend
// present against cpu: catches backend kernels that are wrong only in combination or only backward.
import * as tf from '@tensorflow/tfjs-core';
import { createModel, gptNeoConfig } from '@ftune/model-gpt-neo';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend, probeNative } from './backends';
import { maxRelDiff } from './testing/parity';

const nativeMissing = probeNative();
const compared = nativeMissing ? ['wasm'] : ['tensorflow', 'wasm'];

beforeAll(async () => {
  for (const name of ['wasm', 'cpu'] as const) await loadBackend(name);
});

/** Loss sum and gradients of a tiny GPT-Neo (global and local layers, padded rows) on `backend`. */
async function lossAndGrads(backend: string): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const model = createModel(gptNeoConfig('tiny', { vocabSize: 300 }), 7);
  const [B, T] = [2, 16];
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 11) % 300);
  const mask = Int32Array.from({ length: B * T }, (_, i) => (i >= T && i < T + 3 ? 0 : 1)); // row 1 left-padded
  const labels = Int32Array.from(ids, (id, i) => (mask[i] ? id : -100));
  const batch = { batchSize: B, seqLen: T, inputIds: ids, attentionMask: mask, labels };
  const { value, grads } = tf.variableGrads(() => model.lossTerms(batch, { training: true }).lossSum, model.trainableVariables);
  const out = new Map<string, Float32Array>([['loss', Float32Array.from(await value.data())]]);
  for (const [name, g] of Object.entries(grads)) out.set(name, Float32Array.from(await g.data()));
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe.each(compared)('GPT-Neo training computation on %s', (backend) => {
  it('gives the loss and every parameter gradient that cpu gives', async () => {
    const expected = await lossAndGrads('cpu');
    const actual = await lossAndGrads(backend);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    const worst = [...actual].map(([name, values]) => [name, maxRelDiff(values, expected.get(name) as Float32Array)] as const);
    expect(worst.filter(([, d]) => d > 1e-4)).toEqual([]);
  });
});
