// See ftune_ops.h: LayerNorm over the last axis and gelu_new, forward and backward, each one pass over its
// tensors and over the process's threads, in place of the dozen small elementwise kernels each takes as
// composed TensorFlow ops. Reached from libs/model-gpt-neo/src/ops/native-kernels.ts.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "ftune_host.h"
#include "ftune_ops.h"

// Floating-point exceptions are never read here: without this, comparisons (the clamp in Exp) keep gelu_new's
// loops from vectorising.
#pragma GCC optimize("no-trapping-math")


namespace tfnodejs {
namespace {

using namespace ftune;  // NOLINT: the shared helpers of ftune_host.h

/** Elements per unit of work: rows are grouped into units of about this size. */
constexpr size_t kUnitElements = 1 << 14;

/** √(2/π) and the cubic coefficient of gelu_new. */
constexpr float kGeluA = 0.7978845608028654f;
constexpr float kGeluC = 0.044715f;

/** A float32 host tensor given by id. */
struct Arg {
  explicit Arg(const char *n, TF_DataType t = TF_FLOAT) : name(n), dtype(t) {}
  const char *name;
  TF_DataType dtype;  // what the op takes: float32, or int32 where the name says so
  const float *data = nullptr;
  std::vector<int64_t> shape;
  int64_t elements = 0;
};

/** Reads `value` as the id of a live float32 tensor in host memory, or throws naming the op and the argument. */
bool ReadTensor(napi_env env, TFJSBackend *backend, napi_value value, const char *op, Arg *out) {
  std::string error;
  double number = 0;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, value, &number) != napi_ok || !(number >= INT32_MIN && number <= INT32_MAX) ||
      std::floor(number) != number) {
    error = "is not a tensor id";
  } else {
    const int32_t id = static_cast<int32_t>(number);
    TFE_TensorHandle *handle = FtuneOps::HandleOf(backend, id);
    Buffer buffer;
    if (handle == nullptr) error = "no live tensor has this id";
    else if (!Locate(handle, &buffer, &error) || !ShapeOf(handle, &out->shape, &error)) {
    } else if (buffer.dtype != out->dtype) error = out->dtype == TF_INT32 ? "the tensor is not int32" : "the tensor is not float32";
    if (error.empty()) {
      out->data = reinterpret_cast<const float *>(buffer.data);
      out->elements = buffer.elements;
      return true;
    }
    error = "(id " + std::to_string(id) + "): " + error;
  }
  Throw(env, std::string(op) + ": " + out->name + " " + error);
  return false;
}

std::string ShapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/** Checks that x normalises over a non-empty last axis; sets its length C and the row count N. */
bool RowsOf(napi_env env, const char *op, const Arg &x, int64_t *rows, int64_t *cols) {
  if (x.shape.empty() || x.shape.back() < 1) {
    Throw(env, std::string(op) + ": " + x.name + " must have a non-empty last axis, not shape " + ShapeText(x.shape));
    return false;
  }
  *cols = x.shape.back();
  *rows = x.elements / *cols;
  return true;
}

/** Checks that `a` has exactly `shape`. */
bool ShapeIs(napi_env env, const char *op, const Arg &a, const std::vector<int64_t> &shape, const char *what) {
  if (a.shape == shape) return true;
  Throw(env, std::string(op) + ": " + a.name + " must have shape " + ShapeText(shape) + " (" + what + "), not " +
                 ShapeText(a.shape));
  return false;
}

/** New float32 host tensors of the given shapes, their memory in `data`; on failure none, with the reason. */
bool NewOutputs(const std::vector<std::vector<int64_t>> &shapes, std::vector<TFE_TensorHandle *> *handles,
                std::vector<float *> *data, std::string *error) {
  for (const auto &shape : shapes) {
    size_t elements = 1;
    for (int64_t d : shape) elements *= static_cast<size_t>(d);
    float *memory = nullptr;
    TFE_TensorHandle *h = NewHostTensor(
        TF_FLOAT, shape, elements * sizeof(float), [&](void *d) { memory = static_cast<float *>(d); }, error);
    if (h == nullptr) {
      for (TFE_TensorHandle *made : *handles) TFE_DeleteTensorHandle(made);
      handles->clear();
      return false;
    }
    handles->push_back(h);
    data->push_back(memory);
  }
  return true;
}

/** The binding's tensor infos ({id, shape, dtype}) of new handles, as a JavaScript array. */
napi_value OutputInfos(napi_env env, TFJSBackend *backend, const std::vector<TFE_TensorHandle *> &handles) {
  napi_value array;
  napi_create_array_with_length(env, handles.size(), &array);
  for (size_t i = 0; i < handles.size(); ++i) {
    napi_set_element(env, array, static_cast<uint32_t>(i), FtuneOps::OutputInfo(env, backend, handles[i]));
  }
  return array;
}

/** One call of a fused op: its backend, its tensor arguments and the number arguments after them. */
struct Call {
  const char *op;
  TFJSBackend *backend = nullptr;
  std::vector<Arg> in;
  napi_value numbers[1] = {nullptr};
};

/**
 * Reads a call `op(<tensors named in order>, <numbers>)` whose tensors are live float32 host tensors, or throws
 * naming the argument that is not.
 */
bool Begin(napi_env env, napi_callback_info info, const char *op, std::initializer_list<const char *> tensors,
           size_t numbers, Call *call) {
  call->op = op;
  napi_value args[8];
  size_t argc = 8;
  const size_t n = tensors.size() + numbers;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < n) {
    std::string usage = std::string(op) + "(";
    for (const char *name : tensors) usage += std::string(name) + ", ";
    if (numbers > 0) usage += "eps, ";
    Throw(env, usage.substr(0, usage.size() - 2) + ") takes " + std::to_string(n) + " arguments");
    return false;
  }
  call->backend = BackendOf(env);
  if (call->backend == nullptr) {
    Throw(env, "no backend");
    return false;
  }
  size_t i = 0;
  for (const char *name : tensors) {
    call->in.emplace_back(name, std::strcmp(name, "targets") == 0 ? TF_INT32 : TF_FLOAT);
    if (!ReadTensor(env, call->backend, args[i++], op, &call->in.back())) return false;
  }
  for (size_t k = 0; k < numbers; ++k) call->numbers[k] = args[i++];
  return true;
}

/** New float32 tensors of `shapes`, filled by compute(their memory), returned to JavaScript as tensor infos. */
template <typename Compute>
napi_value Finish(napi_env env, const Call &call, const std::vector<std::vector<int64_t>> &shapes, Compute compute) {
  std::vector<TFE_TensorHandle *> handles;
  std::vector<float *> out;
  std::string error;
  if (!NewOutputs(shapes, &handles, &out, &error)) return Throw(env, std::string(call.op) + ": " + error);
  compute(out);
  return OutputInfos(env, call.backend, handles);
}

/** Rows per unit of work for rows of `cols` elements: a function of the shape only, never of the threads. */
size_t RowsPerUnit(int64_t cols) { return std::max<size_t>(1, kUnitElements / static_cast<size_t>(cols)); }

size_t RowUnits(int64_t rows, int64_t cols) {
  return (static_cast<size_t>(rows) + RowsPerUnit(cols) - 1) / RowsPerUnit(cols);
}

/** Runs body(unit, first row, end row) over the units of rows of `cols` elements. */
template <typename Body>
void ForRowUnits(int64_t rows, int64_t cols, Body body) {
  const size_t per_unit = RowsPerUnit(cols);
  ParallelFor(RowUnits(rows, cols), Threads(), [&](size_t u, unsigned) {
    body(u, u * per_unit, std::min(static_cast<size_t>(rows), (u + 1) * per_unit));
  });
}

/** Σ x over a row, in double precision. */
double RowSum(const float *x, size_t n) {
  double acc[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) acc[j] += x[i + j];
  }
  for (; i < n; ++i) acc[0] += x[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/** Σ (x − mean)² over a row, in double precision. */
double RowSquaredDeviations(const float *x, size_t n, double mean) {
  double acc[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) {
      const double d = x[i + j] - mean;
      acc[j] += d * d;
    }
  }
  for (; i < n; ++i) acc[0] += (x[i] - mean) * (x[i] - mean);
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

FTUNE_CLONES void LayerNormRow(const float *__restrict__ x, const float *__restrict__ w, const float *__restrict__ b, size_t n,
                  double eps, float *__restrict__ y, float *mean_out, float *rstd_out) {
  const double mean = RowSum(x, n) / static_cast<double>(n);
  const double variance = RowSquaredDeviations(x, n, mean) / static_cast<double>(n);
  const float m = static_cast<float>(mean);
  const float r = static_cast<float>(1.0 / std::sqrt(variance + eps));
  for (size_t c = 0; c < n; ++c) y[c] = (x[c] - m) * r * w[c] + b[c];
  *mean_out = m;
  *rstd_out = r;
}

/**
 * One row of LayerNorm's backward pass: with x̂ = (x − mean)·rstd and g = dy·weight,
 * dx = rstd·(g − mean(g) − x̂·mean(g·x̂)); adds dy·x̂ and dy to the unit's partial sums for weight and bias.
 */
FTUNE_CLONES void LayerNormGradRow(const float *__restrict__ dy, const float *__restrict__ x,
                                   const float *__restrict__ w, size_t n, float mean, float rstd,
                                   float *__restrict__ dx, double *__restrict__ dw, double *__restrict__ db) {
  double sum_g[4] = {0, 0, 0, 0}, sum_gx[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) {
      const float g = dy[i + j] * w[i + j];
      sum_g[j] += g;
      sum_gx[j] += static_cast<double>(g) * ((x[i + j] - mean) * rstd);
    }
  }
  for (; i < n; ++i) {
    const float g = dy[i] * w[i];
    sum_g[0] += g;
    sum_gx[0] += static_cast<double>(g) * ((x[i] - mean) * rstd);
  }
  const double count = static_cast<double>(n);
  const float mean_g = static_cast<float>(((sum_g[0] + sum_g[1]) + (sum_g[2] + sum_g[3])) / count);
  const float mean_gx = static_cast<float>(((sum_gx[0] + sum_gx[1]) + (sum_gx[2] + sum_gx[3])) / count);
  for (size_t c = 0; c < n; ++c) {
    const float xhat = (x[c] - mean) * rstd;
    dx[c] = rstd * ((dy[c] * w[c] - mean_g) - xhat * mean_gx);
    dw[c] += static_cast<double>(dy[c] * xhat);
    db[c] += static_cast<double>(dy[c]);
  }
}

/**
 * e^v without a library call, so the loops that use it vectorise: v = k·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its
 * Taylor polynomial to degree 7 (truncation below 1e-8 relative), 2^k built in the exponent bits. v is clamped
 * to [−87, 88], where e^v and 2^k stay normal floats; NaN stays NaN.
 */
inline float Exp(float v) {
  v = v < -87.0f ? -87.0f : v;  // not std::min/max: compiled without this file's options, they stay calls
  v = v > 88.0f ? 88.0f : v;
  constexpr float kRound = 12582912.0f;  // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits
  const float shifted = v * 1.4426950408889634f + kRound;
  const float k = shifted - kRound;
  const float r = (v - k * 0.693145751953125f) - k * 1.4286068203094172e-6f;  // ln 2 in two parts
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  uint32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  const uint32_t scale_bits = (bits - 0x4B400000u + 127u) << 23;
  float scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  return p * scale;
}

/** 1 + tanh(u) = 2 / (1 + e^(−2u)), exact in its tails (0 and 2). */
inline float OnePlusTanh(float u) { return 2.0f / (1.0f + Exp(-2.0f * u)); }

FTUNE_CLONES void GeluRange(const float *__restrict__ x, float *__restrict__ y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float s = OnePlusTanh(kGeluA * (v + kGeluC * (v * v * v)));
    y[i] = 0.5f * v * s;
  }
}

/** d/dx gelu_new = ½·(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), with 1 − t² = s·(2 − s), s = 1 + t. */
FTUNE_CLONES void GeluGradRange(const float *__restrict__ dy, const float *__restrict__ x, float *__restrict__ dx, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float s = OnePlusTanh(kGeluA * (v + kGeluC * (v * v * v)));
    const float slope = v * (s * (2.0f - s)) * (kGeluA + (3.0f * kGeluC * kGeluA) * (v * v));
    dx[i] = dy[i] * (0.5f * (s + slope));
  }
}

/** The largest value of a row, in 16 lanes (NaN compares false, so it is skipped unless the row starts with it). */
FTUNE_CLONES float RowMax(const float *__restrict__ x, size_t n) {
  constexpr size_t kLanes = 16;
  float m = x[0];
  size_t j = 0;
  if (n >= kLanes) {
    float lane[kLanes];
    for (size_t l = 0; l < kLanes; ++l) lane[l] = x[l];
    for (j = kLanes; j + kLanes <= n; j += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
    }
    for (size_t l = 0; l < kLanes; ++l) m = lane[l] > m ? lane[l] : m;
  }
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

/** Σ e^(x − shift) over a row: 16 float lanes, added in double at the end. */
FTUNE_CLONES double RowSumExp(const float *__restrict__ x, size_t n, float shift) {
  constexpr size_t kLanes = 16;
  float lane[kLanes] = {0};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) lane[l] += Exp(x[j + l] - shift);
  }
  double sum = 0;
  for (; j < n; ++j) sum += Exp(x[j] - shift);
  for (size_t l = 0; l < kLanes; ++l) sum += lane[l];
  return sum;
}

/** d = e^(x − lse)·dy over a row (softmax times dy), then d[target] −= dy. */
FTUNE_CLONES void SoftmaxGradRow(const float *__restrict__ x, size_t n, float lse, float dy, int32_t target,
                                 float *__restrict__ d) {
  for (size_t j = 0; j < n; ++j) d[j] = Exp(x[j] - lse) * dy;
  d[target] -= dy;
}

/**
 * One row of softmax(x + bias) into y, the sum of exponentials in double. A row whose largest entry is −∞ (every
 * key masked out) gives NaN, as TensorFlow's Softmax does; entries more than 88 below the maximum give exactly 0.
 */
FTUNE_CLONES void MaskedSoftmaxRow(const float *__restrict__ x, const float *__restrict__ bias, size_t n,
                                   float *__restrict__ y) {
  for (size_t j = 0; j < n; ++j) y[j] = x[j] + bias[j];
  const float max = RowMax(y, n);
  constexpr size_t kLanes = 16;
  float lane[kLanes] = {0};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) {
      const float d = y[j + l] - max;
      const float e = d < -88.0f ? 0.0f : Exp(d);
      y[j + l] = e;
      lane[l] += e;
    }
  }
  double sum = 0;
  for (; j < n; ++j) {
    const float d = y[j] - max;
    y[j] = d < -88.0f ? 0.0f : Exp(d);
    sum += y[j];
  }
  for (size_t l = 0; l < kLanes; ++l) sum += lane[l];
  const float scale = static_cast<float>(1.0 / sum);
  for (size_t k = 0; k < n; ++k) y[k] *= scale;
}

/** One row of softmax's gradient: dx = y·(dy − Σ dy·y). */
FTUNE_CLONES void SoftmaxBackRow(const float *__restrict__ dy, const float *__restrict__ y, size_t n,
                                 float *__restrict__ dx) {
  double dot = 0;
  constexpr size_t kLanes = 16;
  float lane[kLanes] = {0};
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) lane[l] += dy[j + l] * y[j + l];
  }
  for (; j < n; ++j) dot += static_cast<double>(dy[j]) * y[j];
  for (size_t l = 0; l < kLanes; ++l) dot += lane[l];
  const float s = static_cast<float>(dot);
  for (size_t k = 0; k < n; ++k) dx[k] = y[k] * (dy[k] - s);
}

/** Units of kUnitElements over n elements: [begin, end) of unit u. */
size_t ElementUnits(int64_t n) { return (static_cast<size_t>(n) + kUnitElements - 1) / kUnitElements; }

template <typename Range>
void ParallelElements(int64_t n, Range range) {
  ParallelFor(ElementUnits(n), Threads(), [&](size_t u, unsigned) {
    const size_t begin = u * kUnitElements;
    range(begin, std::min(static_cast<size_t>(n), begin + kUnitElements));
  });
}

/**
 * Checks logits (N, V) with V >= 1 and targets (N) of ids in [0, V), throwing with the first offending entry; sets
 * N and V.
 */
bool LogitsAndTargets(napi_env env, const char *op, const Arg &logits, const Arg &targets, int64_t *rows,
                      int64_t *cols) {
  if (logits.shape.size() != 2 || logits.shape[1] < 1) {
    Throw(env, std::string(op) + ": logits must have shape [N, V] with V >= 1, not " + ShapeText(logits.shape));
    return false;
  }
  *rows = logits.shape[0];
  *cols = logits.shape[1];
  if (!ShapeIs(env, op, targets, {*rows}, "one per logits row")) return false;
  const int32_t *t = reinterpret_cast<const int32_t *>(targets.data);
  for (int64_t i = 0; i < *rows; ++i) {
    if (t[i] < 0 || t[i] >= *cols) {
      Throw(env, std::string(op) + ": targets[" + std::to_string(i) + "] is " + std::to_string(t[i]) +
                     ", outside the vocabulary [0, " + std::to_string(*cols) + ")");
      return false;
    }
  }
  return true;
}

}  // namespace

napi_value FtuneOps::LayerNorm(napi_env env, napi_callback_info info) {
  Call call;
  if (!Begin(env, info, "ftuneLayerNorm", {"x", "weight", "bias"}, 1, &call)) return nullptr;
  const Arg &x = call.in[0], &w = call.in[1], &b = call.in[2];
  double eps = 0;
  if (napi_get_value_double(env, call.numbers[0], &eps) != napi_ok || !std::isfinite(eps) || eps < 0) {
    return Throw(env, std::string(call.op) + ": eps must be a finite number >= 0");
  }
  int64_t rows = 0, cols = 0;
  if (!RowsOf(env, call.op, x, &rows, &cols)) return nullptr;
  if (!ShapeIs(env, call.op, w, {cols}, "x's last axis") || !ShapeIs(env, call.op, b, {cols}, "x's last axis")) {
    return nullptr;
  }
  const std::vector<int64_t> lead(x.shape.begin(), x.shape.end() - 1);
  return Finish(env, call, {x.shape, lead, lead}, [&](const std::vector<float *> &out) {
    const size_t n = static_cast<size_t>(cols);
    ForRowUnits(rows, cols, [&](size_t, size_t begin, size_t end) {
      for (size_t row = begin; row < end; ++row) {
        LayerNormRow(x.data + row * n, w.data, b.data, n, eps, out[0] + row * n, out[1] + row, out[2] + row);
      }
    });
  });
}

napi_value FtuneOps::LayerNormGrad(napi_env env, napi_callback_info info) {
  Call call;
  if (!Begin(env, info, "ftuneLayerNormGrad", {"dy", "x", "weight", "mean", "rstd"}, 0, &call)) return nullptr;
  const Arg &dy = call.in[0], &x = call.in[1], &w = call.in[2], &mean = call.in[3], &rstd = call.in[4];
  int64_t rows = 0, cols = 0;
  if (!RowsOf(env, call.op, x, &rows, &cols)) return nullptr;
  const std::vector<int64_t> lead(x.shape.begin(), x.shape.end() - 1);
  if (!ShapeIs(env, call.op, dy, x.shape, "x's shape") || !ShapeIs(env, call.op, w, {cols}, "x's last axis") ||
      !ShapeIs(env, call.op, mean, lead, "x's leading axes") || !ShapeIs(env, call.op, rstd, lead, "x's leading axes")) {
    return nullptr;
  }
  return Finish(env, call, {x.shape, {cols}, {cols}}, [&](const std::vector<float *> &out) {
    const size_t n = static_cast<size_t>(cols), units = RowUnits(rows, cols);
    // Each unit sums its rows' dweight and dbias terms into partials of its own; the partials are then added in
    // unit order, so the sums do not depend on which thread took which unit.
    std::vector<double> partial(2 * units * n, 0.0);
    ForRowUnits(rows, cols, [&](size_t u, size_t begin, size_t end) {
      double *dw = partial.data() + 2 * u * n;
      for (size_t row = begin; row < end; ++row) {
        LayerNormGradRow(dy.data + row * n, x.data + row * n, w.data, n, mean.data[row], rstd.data[row],
                         out[0] + row * n, dw, dw + n);
      }
    });
    for (size_t c = 0; c < n; ++c) {
      double sw = 0, sb = 0;
      for (size_t u = 0; u < units; ++u) {
        sw += partial[2 * u * n + c];
        sb += partial[(2 * u + 1) * n + c];
      }
      out[1][c] = static_cast<float>(sw);
      out[2][c] = static_cast<float>(sb);
    }
  });
}

napi_value FtuneOps::GeluNew(napi_env env, napi_callback_info info) {
  Call call;
  if (!Begin(env, info, "ftuneGeluNew", {"x"}, 0, &call)) return nullptr;
  const Arg &x = call.in[0];
  return Finish(env, call, {x.shape}, [&](const std::vector<float *> &out) {
    ParallelElements(x.elements, [&](size_t begin, size_t end) { GeluRange(x.data + begin, out[0] + begin, end - begin); });
  });
}

napi_value FtuneOps::GeluNewGrad(napi_env env, napi_callback_info info) {
  Call call;
  if (!Begin(env, info, "ftuneGeluNewGrad", {"dy", "x"}, 0, &call)) return nullptr;
  const Arg &dy = call.in[0], &x = call.in[1];
  if (!ShapeIs(env, call.op, dy, x.shape, "x's shape")) return nullptr;
  return Finish(env, call, {x.shape}, [&](const std::vector<float *> &out) {
    ParallelElements(x.elements, [&](size_t begin, size_t end) {
      GeluGradRange(dy.data + begin, x.data + begin, out[0] + begin, end - begin);
    });
  });
}

napi_value FtuneOps::CrossEntropy(napi_env env, napi_callback_info info) {
  Call call;
  if (!Begin(env, info, "ftuneCrossEntropy", {"logits", "targets"}, 0, &call)) return nullptr;
  const Arg &logits = call.in[0], &targets = call.in[1];
  int64_t rows = 0, cols = 0;
  if (!LogitsAndTargets(env, call.op, logits, targets, &rows, &cols)) return nullptr;
  const int32_t *t = reinterpret_cast<const int32_t *>(targets.data);
  return Finish(env, call, {{rows}, {rows}, {rows}}, [&](const std::vector<float *> &out) {
    const size_t n = static_cast<size_t>(cols);
    ForRowUnits(rows, cols, [&](size_t, size_t begin, size_t end) {
      for (size_t row = begin; row < end; ++row) {
        const float *x = logits.data + row * n;
        const float max = RowMax(x, n);
        size_t at = 0;
        while (at + 1 < n && !(x[at] == max)) ++at;  // the first index of the maximum, as TensorFlow's ArgMax
        const double log_sum = std::log(RowSumExp(x, n, max));
        out[0][row] = static_cast<float>(log_sum - (static_cast<double>(x[t[row]]) - max));  // −log softmax[target]
        out[1][row] = static_cast<float>(max + log_sum);                                     // log Σ e^x
        out[2][row] = static_cast<float>(at);
      }
    });
  });
}

napi_value FtuneOps::CrossEntropyGrad(napi_env env, napi_callback_info info) {
  Call call;
  if (!Begin(env, info, "ftuneCrossEntropyGrad", {"logits", "targets", "lse", "dy"}, 0, &call)) return nullptr;
  const Arg &logits = call.in[0], &targets = call.in[1], &lse = call.in[2], &dy = call.in[3];
  int64_t rows = 0, cols = 0;
  if (!LogitsAndTargets(env, call.op, logits, targets, &rows, &cols)) return nullptr;
  if (!ShapeIs(env, call.op, lse, {rows}, "one per logits row") || !ShapeIs(env, call.op, dy, {rows}, "one per logits row")) {
    return nullptr;
  }
  const int32_t *t = reinterpret_cast<const int32_t *>(targets.data);
  return Finish(env, call, {logits.shape}, [&](const std::vector<float *> &out) {
    const size_t n = static_cast<size_t>(cols);
    ForRowUnits(rows, cols, [&](size_t, size_t begin, size_t end) {
      for (size_t row = begin; row < end; ++row) {
        SoftmaxGradRow(logits.data + row * n, n, lse.data[row], dy.data[row], t[row], out[0] + row * n);
      }
    });
  });
}

napi_value FtuneOps::MaskedSoftmax(napi_env env, napi_callback_info info) {
  Call call;
  if (!Begin(env, info, "ftuneMaskedSoftmax", {"scores", "bias"}, 0, &call)) return nullptr;
  const Arg &x = call.in[0], &bias = call.in[1];
  const size_t rank = x.shape.size();
  if (rank < 2 || x.shape[rank - 1] < 1) {
    return Throw(env, std::string(call.op) + ": scores must have shape [..., T, S] with S >= 1, not " + ShapeText(x.shape));
  }
  // bias: the last two axes (T, S) as the scores', each leading axis 1 or the scores' (numpy broadcasting)
  const size_t lead = rank - 2;
  bool fits = bias.shape.size() >= 2 && bias.shape.size() <= rank &&
              bias.shape[bias.shape.size() - 2] == x.shape[rank - 2] && bias.shape[bias.shape.size() - 1] == x.shape[rank - 1];
  std::vector<int64_t> bias_lead(lead, 1);
  for (size_t i = 0; fits && i + 2 < bias.shape.size(); ++i) {
    const int64_t d = bias.shape[i];
    const size_t at = lead - (bias.shape.size() - 2) + i;
    if (d != 1 && d != x.shape[at]) fits = false;
    bias_lead[at] = d;
  }
  if (!fits) {
    return Throw(env, std::string(call.op) + ": bias of shape " + ShapeText(bias.shape) + " does not broadcast to scores " +
                          ShapeText(x.shape) + " over their last two axes");
  }
  const int64_t t = x.shape[rank - 2], cols = x.shape[rank - 1];
  int64_t leads = 1;
  for (size_t i = 0; i < lead; ++i) leads *= x.shape[i];
  // the bias matrix (T, S) that each leading index of the scores reads
  std::vector<int64_t> bias_of(static_cast<size_t>(leads), 0);
  for (int64_t l = 0; l < leads; ++l) {
    int64_t rest = l, offset = 0, stride = 1;
    for (size_t i = lead; i-- > 0;) {
      const int64_t index = rest % x.shape[i];
      rest /= x.shape[i];
      if (bias_lead[i] != 1) offset += index * stride;
      stride *= bias_lead[i];
    }
    bias_of[static_cast<size_t>(l)] = offset;
  }
  const int64_t rows = leads * t;
  return Finish(env, call, {x.shape}, [&](const std::vector<float *> &out) {
    const size_t n = static_cast<size_t>(cols);
    ForRowUnits(rows, cols, [&](size_t, size_t begin, size_t end) {
      for (size_t row = begin; row < end; ++row) {
        const size_t l = row / static_cast<size_t>(t), q = row % static_cast<size_t>(t);
        const float *b = bias.data + (static_cast<size_t>(bias_of[l]) * static_cast<size_t>(t) + q) * n;
        MaskedSoftmaxRow(x.data + row * n, b, n, out[0] + row * n);
      }
    });
  });
}

napi_value FtuneOps::SoftmaxGrad(napi_env env, napi_callback_info info) {
  Call call;
  if (!Begin(env, info, "ftuneSoftmaxGrad", {"dy", "y"}, 0, &call)) return nullptr;
  const Arg &dy = call.in[0], &y = call.in[1];
  int64_t rows = 0, cols = 0;
  if (!RowsOf(env, call.op, y, &rows, &cols) || !ShapeIs(env, call.op, dy, y.shape, "y's shape")) return nullptr;
  return Finish(env, call, {y.shape}, [&](const std::vector<float *> &out) {
    const size_t n = static_cast<size_t>(cols);
    ForRowUnits(rows, cols, [&](size_t, size_t begin, size_t end) {
      for (size_t row = begin; row < end; ++row) SoftmaxBackRow(dy.data + row * n, y.data + row * n, n, out[0] + row * n);
    });
  });
}

}  // namespace tfnodejs
