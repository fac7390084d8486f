// Per-row softmax cross-entropy of logits against integer targets, with a fused gradient (softmax − onehot) · dy.
// Avoids materialising log-softmax for the backward pass and tfjs' gather gradient (slow on cpu, absent on wasm).
// Numerically stable: everything is computed relative to the row maximum. Targets must be valid ids; mask ignored rows outside.
import * as tf from '@tensorflow/tfjs-core';
import { fusedCrossEntropy, fusedCrossEntropyFits, fusedKernels } from './native-kernels';

/**
 * crossEntropy, and where the native backend's fused kernel computes it (./native-kernels.ts), each row's first
 * argmax as well (int32), which that kernel finds on its way; undefined elsewhere.
 */
export function crossEntropyAndArgmax(logits: tf.Tensor, targets: tf.Tensor): { nll: tf.Tensor; argmax?: tf.Tensor } {
  if (fusedKernels() && fusedCrossEntropyFits(logits, targets)) {
    const { nll, argmax } = fusedCrossEntropy(logits, targets);
    return { nll, argmax: tf.cast(argmax, 'int32') };
  }
  return { nll: crossEntropy(logits, targets) };
}

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
    const e = tf.exp(shifted); // (N, V)
    const sumExp = tf.sum(e, 1, true); // (N, 1) ∈ [1, V]
    const flat = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), targets); // (N) index into N·V
    const picked = tf.gather(tf.reshape(shifted, [n * v]), flat); // (N)
    save([e, sumExp, targets]); // forward intermediates are disposed before backprop unless saved
    return {
      value: tf.sub(tf.reshape(tf.log(sumExp), [n]), picked),
      // d/dx = (softmax − onehot) · dy = e · (dy / Σe) − onehot · dy, the second term scattered (dy[n] at
      // [n, target[n]]): two passes over (N, V) plus a fill.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [es, sums, ts] = saved;
        const dyCol = tf.reshape(dy, [n, 1]); // (N, 1)
        const at = tf.stack([tf.range(0, n, 1, 'int32'), ts], 1); // (N, 2) indices [n, target]
        return tf.sub(tf.mul(es, tf.div(dyCol, sums)), tf.scatterND(at, dy, [n, v]));
      },
    };
  });
  return ce(logits);
}
