// The attention's probabilities: softmax over the keys of the unscaled scores plus the layout's additive mask
// (0 where a query may attend, finfo.min or −∞ elsewhere; model.ts). On the native CPU backend one fused kernel
// each way (native-kernels.ts) in place of Add and Softmax forward and Multiply, Sum, Sub, Multiply backward.
import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels, fusedMaskedSoftmax, fusedMaskedSoftmaxFits } from './native-kernels';

/** softmax(scores + bias) over the last axis: scores (..., T, S), bias broadcast to them; no gradient for bias. */
export function attentionSoftmax(scores: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (fusedKernels() && fusedMaskedSoftmaxFits(scores, bias)) return fusedMaskedSoftmax(scores, bias);
  return tf.softmax(tf.add(scores, bias));
}
