// Embedding lookup (rows of a table by id) whose gradient is a scatter-add, not tfjs' default gather gradient.
// The default gradient (UnsortedSegmentSum) loops over every table row on the cpu backend — about an hour per
// step at vocab 50257 — and is missing on wasm; ScatterNd sums duplicate ids on every backend.
import * as tf from '@tensorflow/tfjs-core';

/**
 * Rows `ids` (int32) of `table`: (V, C) × (N) → (N, C). Differentiable in `table` only.
 */
export function embedding(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embedding: ids must be int32, got ${ids.dtype}`);
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([ids]); // forward intermediates are disposed before backprop unless saved
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => embeddingGrad(dy, saved[0], t.shape),
    };
  });
  return lookup(table);
}

/** d table = scatter-add of dy (N, C) into zeros (V, C) at rows ids (duplicates summed). */
export function embeddingGrad(dy: tf.Tensor, ids: tf.Tensor, tableShape: number[]): tf.Tensor {
  return tf.tidy(() => tf.scatterND(tf.reshape(ids, [ids.size, 1]), dy, tableShape)); // indices (N, 1)
}
