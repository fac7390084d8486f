// Matrix product whose forward and gradient use only plain matMul and explicit transposes.
// tfjs' own matMul gradient uses the transposeA/transposeB flags, which run ~36× slower on the wasm backend than an
// explicit transpose followed by an untransposed matMul; on other backends the two forms cost about the same.
import * as tf from '@tensorflow/tfjs-core';

/** Swaps the last two axes: (..., R, K) → (..., K, R). */
export function swapLastAxes(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

/** a (..., R, K) @ b (..., K, S) → (..., R, S); a and b have the same rank (2 to 4) and the same leading axes. */
export function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== b.rank || a.rank < 2) {
    throw new Error(`matmul: operands must have the same rank ≥ 2, got ${a.shape} and ${b.shape}`);
  }
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      // d a = dy @ bᵀ, d b = aᵀ @ dy, each with an explicit transpose.
      gradFunc: (dy: tf.Tensor, [xs, ys]: tf.Tensor[]) => [tf.matMul(dy, swapLastAxes(ys)), tf.matMul(swapLastAxes(xs), dy)],
    };
  });
  return product(a, b);
}

/** x (N, I) @ w (I, O) + b (O) → (N, O): a Linear layer with its weight kept [in, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const y = matmul(x, w);
  return b ? tf.add(y, b) : y;
}
