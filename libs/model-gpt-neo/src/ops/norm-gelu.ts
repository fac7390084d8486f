// LayerNorm and gelu_new with their gradients written out, instead of left to automatic differentiation.
// Differentiating the composed forward ops replays every one of them backwards (a LayerNorm took about 22 kernels
// in the backward pass, gelu_new about 18, most over whole activations); the closed forms below take 11 and 9,
// from values the forward pass keeps. The forward values are the same ops as before, so outputs are unchanged.
// On the native CPU backend both run as fused native kernels instead (native-kernels.ts): one pass each way.
import * as tf from '@tensorflow/tfjs-core';
import { fusedGelu, fusedKernels, fusedLayerNorm, fusedLayerNormFits } from './native-kernels';

/** √(2/π), gelu_new's scale. */
const GELU_A = Math.sqrt(2 / Math.PI);
/** gelu_new's cubic coefficient. */
const GELU_C = 0.044715;

/**
 * torch.nn.LayerNorm over the last axis (biased variance): (x − mean) / √(var + eps) · weight + bias.
 * x (..., C), weight and bias (C). Gradients for x, weight and bias.
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  if (fusedKernels() && fusedLayerNormFits(x, weight, bias, eps)) return fusedLayerNorm(x, weight, bias, eps);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const mean = tf.mean(input, -1, true); // (..., 1)
    const centred = tf.sub(input, mean);
    const variance = tf.mean(tf.square(centred), -1, true); // (..., 1)
    const rstd = tf.rsqrt(tf.add(variance, eps)); // (..., 1)
    const normed = tf.mul(centred, rstd);
    save([normed, rstd, w]);
    return {
      value: tf.add(tf.mul(normed, w), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, r, gamma] = saved;
        const lead = dy.shape.slice(0, -1).map((_, i) => i); // every axis but the last
        const g = tf.mul(dy, gamma); // d loss / d xhat
        // dx = rstd · (g − mean(g) − xhat · mean(g · xhat)), all means over the last axis
        const dx = tf.mul(tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true))), r);
        return [dx, tf.sum(tf.mul(dy, xhat), lead), tf.sum(dy, lead)];
      },
    };
  });
  return f(x, weight, bias);
}

/** gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), with its derivative in closed form. */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && fusedKernels()) return fusedGelu(x);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const inner = tf.mul(tf.add(input, tf.mul(tf.mul(tf.mul(input, input), input), GELU_C)), GELU_A);
    const onePlusT = tf.add(tf.tanh(inner), 1); // 1 + t
    save([input, onePlusT]);
    return {
      value: tf.mul(tf.mul(input, 0.5), onePlusT),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [v, s] = saved;
        // d/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), with 1 − t² = s·(2 − s), s = 1 + t
        const sech2 = tf.mul(s, tf.sub(2, s));
        const slope = tf.mul(tf.add(tf.mul(tf.square(v), 3 * GELU_C * GELU_A), GELU_A), tf.mul(v, sech2));
        return tf.mul(dy, tf.mul(tf.add(s, slope), 0.5));
      },
    };
  });
  return f(x);
}
