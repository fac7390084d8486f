// ftune's additions to the tfjs-node binding (compiled into it by libs/compute/scripts/install-native-tf.cjs):
// a fused, in-place, multi-threaded AdamW step and a sum of squares over a list of tensors, both on tensors
// in host memory, and a copy into memory no other tensor shares. The JavaScript side is
// libs/trainer/src/optim/native-ops.ts.
#ifndef FTUNE_OPS_H_
#define FTUNE_OPS_H_

#include <node_api.h>

namespace tfnodejs {

class FtuneOps {
 public:
  // Adds ftuneCopy, ftuneSumSquares and ftuneAdamW to the binding's exports.
  static void Register(napi_env env, napi_value exports);

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
};

}  // namespace tfnodejs

#endif  // FTUNE_OPS_H_
