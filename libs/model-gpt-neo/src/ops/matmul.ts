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

/** d op(a) for C = op(a)·op(b), given dC: again a product with flags. */
function gradA(dy: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (!transposeA) return product(dy, b, false, !transposeB);
  return transposeB ? product(b, dy, true, true) : product(b, dy, false, true);
}

/** d op(b) for C = op(a)·op(b), given dC. */
function gradB(dy: tf.Tensor, a: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (!transposeB) return product(a, dy, !transposeA, false);
  return transposeA ? product(dy, a, true, true) : product(dy, a, true, false);
}

/** A parameter that training leaves as it is: a variable marked not trainable (LoRA's frozen base weights). */
function isFrozen(t: tf.Tensor): boolean {
  return t instanceof tf.Variable && !t.trainable;
}

/** forward(x) with the custom gradient dx = backward(dy); x is its only input, and nothing is saved. */
function withGradient(x: tf.Tensor, forward: (x: tf.Tensor) => tf.Tensor, backward: (dy: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({ value: forward(args[0] as tf.Tensor), gradFunc: backward }))(x);
}

/**
 * op(a) @ op(b), op = swap of the last two axes when the flag is set: (..., R, K) @ (..., K, S) → (..., R, S).
 * a and b have the same rank (2 to 4) and the same leading axes. A custom gradient computes every operand's
 * gradient it is given, so an operand that is a frozen parameter (a variable with trainable false, as LoRA leaves
 * the base weights) is not an input of it: its gradient -- a product as large as the forward one, thrown away --
 * is never computed.
 */
export function matmul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (a.rank !== b.rank || a.rank < 2) {
    throw new Error(`matmul: operands must have the same rank ≥ 2, got ${a.shape} and ${b.shape}`);
  }
  const frozenA = isFrozen(a);
  const frozenB = isFrozen(b);
  if (frozenA && frozenB) return product(a, b, transposeA, transposeB);
  if (frozenB) return withGradient(a, (x) => product(x, b, transposeA, transposeB), (dy) => gradA(dy, b, transposeA, transposeB));
  if (frozenA) return withGradient(b, (y) => product(a, y, transposeA, transposeB), (dy) => gradB(dy, a, transposeA, transposeB));
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: product(x, y, transposeA, transposeB),
      gradFunc: (dy: tf.Tensor, [xs, ys]: tf.Tensor[]) => [gradA(dy, ys, transposeA, transposeB), gradB(dy, xs, transposeA, transposeB)],
    };
  });
  return f(a, b);
}

/** x (N, I) @ w (I, O) + b (O) → (N, O): a Linear layer with its weight kept [in, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const y = matmul(x, w);
  return b ? tf.add(y, b) : y;
}
