// ftune's additions to the tfjs-node binding (compiled into it by libs/compute/scripts/install-native-tf.cjs):
// a fused, in-place, multi-threaded AdamW step and a sum of squares over a list of tensors, both on tensors
// in host memory, and a copy into memory no other tensor shares (ftune_ops.cc; the JavaScript side is
// libs/trainer/src/optim/native-ops.ts); LayerNorm and gelu_new forward and backward, each one pass over its
// tensors (ftune_fused.cc; the JavaScript side is libs/model-gpt-neo/src/ops/native-kernels.ts).
#ifndef FTUNE_OPS_H_
#define FTUNE_OPS_H_

#include <node_api.h>

#include <cstdint>

struct TFE_TensorHandle;

namespace tfnodejs {

class TFJSBackend;

class FtuneOps {
 public:
  // Adds ftuneCopy, ftuneSumSquares, ftuneAdamW and the fused ops below to the binding's exports.
  static void Register(napi_env env, napi_value exports);
  // The handle of the live tensor `id`, or null.
  static TFE_TensorHandle *HandleOf(TFJSBackend *backend, int32_t id);
  // Hands a new handle to the backend; returns its {id, shape, dtype} for JavaScript.
  static napi_value OutputInfo(napi_env env, TFJSBackend *backend, TFE_TensorHandle *handle);

 private:
  // ftuneCopy(id) -> {id, shape, dtype}: a new tensor with a copy of the values, in memory of its own.
  static napi_value Copy(napi_env env, napi_callback_info info);
  // ftuneSumSquares(ids) -> number: the sum of x*x over every float32 element of the tensors (double sums).
  static napi_value SumSquares(napi_env env, napi_callback_info info);
  // ftuneAdamW(params, grads, m, v, keep, [b1, b2, c1, c2, stepSize, epsHat]) -> ids: per parameter k, in place,
  //   m = b1*m + c1*g; v = b2*v + c2*g*g; p = p*keep[k] - (m / (sqrt(v) + epsHat)) * stepSize.
  // Returns the ids among params, m and v whose memory another live tensor shares; when there are any,
  // nothing was written (the caller gives those tensors memory of their own and calls again).
  static napi_value AdamW(napi_env env, napi_callback_info info);

  // The fused ops take tensor ids of float32 host tensors and return new tensors ({id, shape, dtype}); every
  // normalisation is over the last axis of x (..., C), with any leading shape (N rows of C).
  // ftuneLayerNorm(x, weight, bias, eps) -> [y, mean, rstd]: y = (x - mean) * rstd * weight + bias, with the
  //   biased variance, rstd = 1 / sqrt(var + eps); mean and rstd have x's leading shape.
  static napi_value LayerNorm(napi_env env, napi_callback_info info);
  // ftuneLayerNormGrad(dy, x, weight, mean, rstd) -> [dx, dweight, dbias]; dweight and dbias are summed over rows
  //   in an order that does not depend on the number of threads.
  static napi_value LayerNormGrad(napi_env env, napi_callback_info info);
  // ftuneGeluNew(x) -> y = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))).
  static napi_value GeluNew(napi_env env, napi_callback_info info);
  // ftuneGeluNewGrad(dy, x) -> dx = dy * d gelu_new(x) / dx.
  static napi_value GeluNewGrad(napi_env env, napi_callback_info info);
  // ftuneCrossEntropy(logits, targets) -> [nll, lse, argmax]: logits (N, V) float32, targets (N) int32 in [0, V);
  // per row nll = log sum exp(x) - x[target], lse = log sum exp(x) (all the gradient needs besides the logits) and
  // argmax = the first index of the row's maximum (as a float). Two passes over each row; nothing N x V is made.
  static napi_value CrossEntropy(napi_env env, napi_callback_info info);
  // ftuneCrossEntropyGrad(logits, targets, lse, dy) -> (N, V): (softmax(x) - onehot(target)) * dy per row, one pass.
  static napi_value CrossEntropyGrad(napi_env env, napi_callback_info info);
  // ftuneMaskedSoftmax(scores, bias) -> softmax(scores + bias) over the last axis; scores (..., T, S), bias (..., T, S)
  // broadcast over the leading axes (each 1 or the scores'). One pass to add and find the maximum, one to exponentiate.
  static napi_value MaskedSoftmax(napi_env env, napi_callback_info info);
  // ftuneSoftmaxGrad(dy, y) -> dx = y * (dy - sum(dy * y)) over the last axis, in one pass per row.
  static napi_value SoftmaxGrad(napi_env env, napi_callback_info info);
};

}  // namespace tfnodejs

#endif  // FTUNE_OPS_H_
