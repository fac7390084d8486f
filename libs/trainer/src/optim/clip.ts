// Global L2-norm gradient clipping as torch.nn.utils.clip_grad_norm_: total = ‖(‖g_p‖₂)_p‖₂,
// coef = min(1, max_norm / (total + 1e-6)). Stays on the device: nothing is read back here.
import * as tf from '@tensorflow/tfjs-core';

/**
 * Returns the clipped gradients (new tensors) and the pre-clip global norm; the inputs are not disposed.
 * With `divisor` the gradients are first divided by it (the step's token count), folded into the one
 * multiplication by the clipping coefficient: the norm and the results are those of the divided gradients.
 */
export function clipByGlobalNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
  divisor?: tf.Scalar,
): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const names = [...grads.keys()];
  const { clipped, norm } = tf.tidy(() => {
    const all = [...grads.values()];
    const rawNorm = tf.sqrt(tf.addN(all.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const norm = divisor ? (tf.div(rawNorm, divisor) as tf.Scalar) : rawNorm;
    const coef = maxNorm > 0 ? tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1) : tf.scalar(1);
    const factor = divisor ? tf.div(coef, divisor) : coef;
    return { clipped: all.map((g) => tf.mul(g, factor)), norm };
  });
  return { grads: new Map(names.map((n, i) => [n, clipped[i]])), norm };
}
