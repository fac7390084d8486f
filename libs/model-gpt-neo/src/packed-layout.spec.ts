// Packed rows attend per segment, in length buckets: the segments and buckets of a batch, and a model
// run on packed rows (several buckets, a local window shorter than the segments, padding at a row's
// end) giving each example's logits and the gradients of the summed loss as if each ran alone.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { gptNeoConfig } from './config';
import { createModel } from './create';
import type { GPTNeoBatch } from './model';
import { chooseBuckets, packedLayout, packedSegments } from './packed-layout';

describe('packed layout', () => {
  it('finds each row segment, skipping padding', () => {
    const seg = Int32Array.from([0, 0, 1, 1, 1, -1, 0, 0, 0, 0, 1, -1]);
    const mask = Int32Array.from(seg, (s) => (s < 0 ? 0 : 1));
    expect(packedSegments(2, 6, seg, mask)).toEqual([
      { start: 0, length: 2 },
      { start: 2, length: 3 },
      { start: 6, length: 4 },
      { start: 10, length: 1 },
    ]);
  });

  it('buckets similar lengths together and keeps a long tail apart', () => {
    const lengths = [20, 700, 18, 22, 1000, 19, 21];
    const groups = chooseBuckets(lengths).map((g) => g.map((i) => lengths[i]));
    expect(groups.flat().sort((a, b) => a - b)).toEqual([...lengths].sort((a, b) => a - b));
    expect(groups[0]).toEqual([18, 19, 20, 21, 22]);
    expect(groups.length).toBeGreaterThanOrEqual(2);
    expect(groups.at(-1)).toContain(1000);
  });

  it('maps every token of a segment to its bucket slot and padding to the zero row', () => {
    const seg = Int32Array.from([0, 0, 0, 1, 1, -1]);
    const layout = packedLayout(1, 6, seg, undefined);
    const slots = layout.buckets.flatMap((b) => Array.from(b.index));
    for (const t of [0, 1, 2, 3, 4]) expect(slots[layout.scatter[t]]).toBe(t);
    expect(layout.scatter[5]).toBe(layout.zeroRow);
  });
});

describe('a model on packed rows', () => {
  const config = gptNeoConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 64, windowSize: 4, numLayers: 2 });
  const model = createModel(config, 11);
  afterAll(() => model.dispose());
  // six examples of lengths 2..13 packed into two rows of 24, the rest padding (id 0, segment −1)
  const examples = [13, 9, 2, 5, 3, 11].map((n, e) => Array.from({ length: n }, (_, t) => (e * 7 + t * 3 + 1) % 64));
  const rows = [
    [0, 1], // 13 + 9 = 22
    [2, 3, 4, 5], // 2 + 5 + 3 + 11 = 21
  ];

  function packedBatch(): GPTNeoBatch {
    const T = 24;
    const inputIds = new Int32Array(2 * T);
    const segmentIds = new Int32Array(2 * T).fill(-1);
    const positionIds = new Int32Array(2 * T);
    const labels = new Int32Array(2 * T).fill(-100);
    rows.forEach((members, b) => {
      let at = b * T;
      members.forEach((e, s) => {
        examples[e].forEach((id, t) => {
          inputIds[at + t] = id;
          segmentIds[at + t] = s;
          positionIds[at + t] = t;
          labels[at + t] = t === 0 ? -100 : id;
        });
        at += examples[e].length;
      });
    });
    const attentionMask = Int32Array.from(segmentIds, (s) => (s < 0 ? 0 : 1));
    return { batchSize: 2, seqLen: T, inputIds, attentionMask, labels, segmentIds, positionIds };
  }

  const alone = (e: number): GPTNeoBatch => {
    const ids = Int32Array.from(examples[e]);
    return { batchSize: 1, seqLen: ids.length, inputIds: ids, attentionMask: new Int32Array(ids.length).fill(1), labels: ids };
  };

  it('gives each example the logits it has alone', () => {
    const packed = tf.tidy(() => model.logits(packedBatch()).arraySync() as number[][][]);
    rows.forEach((members, b) => {
      let at = 0;
      for (const e of members) {
        const own = tf.tidy(() => model.logits(alone(e)).arraySync() as number[][][])[0];
        own.forEach((row, t) => row.forEach((v, k) => expect(packed[b][at + t][k]).toBeCloseTo(v, 4)));
        at += examples[e].length;
      }
    });
  });

  it('gives the summed loss the gradients of the examples run alone', () => {
    const grads = (batches: GPTNeoBatch[]) =>
      tf.variableGrads(() => tf.addN(batches.map((b) => model.lossTerms(b).lossSum)) as tf.Scalar);
    const packed = grads([packedBatch()]);
    const separate = grads(rows.flat().map(alone));
    expect(packed.value.dataSync()[0]).toBeCloseTo(separate.value.dataSync()[0], 3);
    let compared = 0;
    for (const [name, g] of Object.entries(packed.grads)) {
      const a = g.dataSync();
      const b = separate.grads[name].dataSync();
      const scale = Math.max(...Array.from(b, Math.abs), 1e-6);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]) / scale).toBeLessThan(1e-4);
      compared++;
    }
    expect(compared).toBe(model.trainableVariables.length);
    tf.dispose([packed.value, separate.value, ...Object.values(packed.grads), ...Object.values(separate.grads)]);
  });
});
