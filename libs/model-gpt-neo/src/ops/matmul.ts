// Matrix product with transpose flags whose forward and gradient never hit a slow transposed-product kernel.
// The wasm backend's matMul with transposeA/transposeB runs ~36× slower than an explicit transpose followed by an
// untransposed product (docs/backends.md, wasm and cpu), so there every transpose is an explicit Transpose; other backends (native
// TensorFlow, cpu) get the flags, which cost nothing there and avoid copying large operands such as wteᵀ.
import * as tf from '@tensorflow/tfjs-core';

let forced: boolean | undefined;

/** Forces explicit transposes on (true) or off (false) for every backend; undefined restores the default. */
export function setExplicitTransposes(value: boolean | undefined): void {
  forced = value;
}

/** Whether products take explicit transposes: forced, else only on the wasm backend. */
export function explicitTransposes(): boolean {
  return forced ?? tf.getBackend() === 'wasm';
}

/** Swaps the last two axes: (..., R, K) → (..., K, R). */
export function swapLastAxes(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

/** op(x) @ op(y) by the current policy. */
function product(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor {
  if (explicitTransposes()) return tf.matMul(tx ? swapLastAxes(x) : x, ty ? swapLastAxes(y) : y);
  return tf.matMul(x, y, tx, ty);
}

/**
 * op(a) @ op(b), op = swap of the last two axes when the flag is set: (..., R, K) @ (..., K, S) → (..., R, S).
 * a and b have the same rank (2 to 4) and the same leading axes.
 */
export function matmul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (a.rank !== b.rank || a.rank < 2) {
    throw new Error(`matmul: operands must have the same rank ≥ 2, got ${a.shape} and ${b.shape}`);
  }
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: product(x, y, transposeA, transposeB),
      // C = op(A)·op(B): the four cases of dA, dB, each again a product with flags.
      gradFunc: (dy: tf.Tensor, [xs, ys]: tf.Tensor[]) => {
        if (!transposeA && !transposeB) return [product(dy, ys, false, true), product(xs, dy, true, false)];
        if (!transposeA) return [product(dy, ys, false, false), product(dy, xs, true, false)];
        if (!transposeB) return [product(ys, dy, false, true), product(xs, dy, false, false)];
        return [product(ys, dy, true, true), product(dy, xs, true, true)];
      },
    };
  });
  return f(a, b);
}

/** x (N, I) @ w (I, O) + b (O) → (N, O): a Linear layer with its weight kept [in, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const y = matmul(x, w);
  return b ? tf.add(y, b) : y;
}
