// Test helper: central finite differences of a scalar function of one tensor, for the ops' gradient specs.
// float32 arithmetic limits agreement to ~1e-3 relative; use small, well-scaled inputs.
import * as tf from '@tensorflow/tfjs-core';

/** d f / d x by central differences, element by element. */
export function numericGradient(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2): Float32Array {
  const base = x.dataSync().slice() as Float32Array;
  const grad = new Float32Array(base.length);
  const at = (values: Float32Array) => tf.tidy(() => f(tf.tensor(values, x.shape)).dataSync()[0]);
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    plus[i] += eps;
    const minus = base.slice();
    minus[i] -= eps;
    grad[i] = (at(plus) - at(minus)) / (2 * eps);
  }
  return grad;
}

/** max |a − b| / max(|b|, tiny). */
export function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
