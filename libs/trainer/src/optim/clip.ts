// Global L2-norm gradient clipping as torch.nn.utils.clip_grad_norm_: total = ‖(‖g_p‖₂)_p‖₂,
// coef = min(1, max_norm / (total + 1e-6)). Stays on the device: nothing is read back here.
import * as tf from '@tensorflow/tfjs-core';

/**
 * The pre-clip global norm and the factor that clips: gradients × factor are the clipped ones. With
 * `divisor` the gradients are taken as divided by it first (the step's token count): the norm is that of
 * the divided gradients and the factor includes the division. Nothing is allocated per gradient.
 */
export function clipFactor(
  grads: Iterable<tf.Tensor>,
  maxNorm: number,
  divisor?: tf.Scalar,
): { norm: tf.Scalar; factor: tf.Scalar } {
  return tf.tidy(() => {
    const rawNorm = tf.sqrt(tf.addN([...grads].map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const norm = divisor ? (tf.div(rawNorm, divisor) as tf.Scalar) : rawNorm;
    const coef = maxNorm > 0 ? tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1) : tf.scalar(1);
    return { norm, factor: (divisor ? tf.div(coef, divisor) : coef) as tf.Scalar };
  });
}

/** Returns the clipped gradients (new tensors) and the pre-clip global norm; the inputs are not disposed. */
export function clipByGlobalNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const { norm, factor } = clipFactor(grads.values(), maxNorm);
  const clipped = new Map([...grads].map(([name, g]) => [name, tf.mul(g, factor)]));
  factor.dispose();
  return { grads: clipped, norm };
}
