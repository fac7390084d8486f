// Per-row softmax cross-entropy of logits against integer targets, with a fused gradient softmax − onehot.
// Avoids materialising log-softmax for the backward pass and tfjs' gather gradient (slow on cpu, absent on wasm).
// Numerically stable: everything is computed relative to the row maximum. Targets must be valid ids; mask ignored rows outside.
import * as tf from '@tensorflow/tfjs-core';

/** −log softmax(logits)[n, targets[n]] for each row n: logits (N, V), targets (N) int32 in [0, V) → (N). */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  if (logits.rank !== 2) throw new Error(`crossEntropy: logits must be (N, V), got [${logits.shape}]`);
  const [n, v] = logits.shape;
  if (targets.dtype !== 'int32' || targets.size !== n) {
    throw new Error(`crossEntropy: targets must be int32 of length ${n}, got ${targets.dtype} [${targets.shape}]`);
  }
  const ce = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    // Work relative to the row maximum so that neither term carries the (possibly huge) maximum's rounding.
    const shifted = tf.sub(x, tf.max(x, 1, true)); // (N, V), every entry ≤ 0
    const lse = tf.log(tf.sum(tf.exp(shifted), 1)); // (N) log Σ exp(shifted) ∈ [0, log V]
    const flat = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), targets); // (N) index into N·V
    const picked = tf.gather(tf.reshape(shifted, [n * v]), flat); // (N)
    save([shifted, lse, targets]); // forward intermediates are disposed before backprop unless saved
    return {
      value: tf.sub(lse, picked),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [shiftedS, lses, ts] = saved;
        const probs = tf.exp(tf.sub(shiftedS, tf.reshape(lses, [n, 1]))); // (N, V) softmax
        const grad = tf.sub(probs, tf.oneHot(ts, v, 1, 0, 'float32'));
        return tf.mul(grad, tf.reshape(dy, [n, 1]));
      },
    };
  });
  return ce(logits);
}
