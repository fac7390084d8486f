// See ftune_ops.h. Compiled into tfjs-node's addon, where it reaches the binding's tensor handles by id.
#include "ftune_ops.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ftune_host.h"

// The addon is compiled with -fno-math-errno (scripts/install-native-tf.cjs): without it std::sqrt stays a library
// call per element and the AdamW loop does not vectorise.

namespace tfnodejs {
namespace {

using namespace ftune;  // NOLINT: the shared helpers of ftune_host.h

constexpr size_t kChunk = 1 << 15;  // elements per unit of work

/** The elements of a JS array, each read by `read` (a napi_get_value_* function). */
template <typename T>
bool ReadArray(napi_env env, napi_value array, const char *what, const char *kind,
               napi_status (*read)(napi_env, napi_value, T *), std::vector<T> *out) {
  bool is_array = false;
  uint32_t n = 0;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array || napi_get_array_length(env, array, &n) != napi_ok) {
    Throw(env, std::string(what) + " must be an array of " + kind + "s");
    return false;
  }
  out->resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    if (napi_get_element(env, array, i, &e) != napi_ok || read(env, e, &(*out)[i]) != napi_ok) {
      Throw(env, std::string(what) + "[" + std::to_string(i) + "] is not a " + kind);
      return false;
    }
  }
  return true;
}

bool ReadIds(napi_env env, napi_value array, const char *what, std::vector<int32_t> *ids) {
  return ReadArray<int32_t>(env, array, what, "tensor id", napi_get_value_int32, ids);
}

bool ReadNumbers(napi_env env, napi_value array, const char *what, std::vector<double> *values) {
  return ReadArray<double>(env, array, what, "number", napi_get_value_double, values);
}

/** Resolves each id to its float32 host memory, or throws naming the first that is not. */
bool Resolve(napi_env env, const std::unordered_map<int32_t, TFE_TensorHandle *> &handles,
             const std::vector<int32_t> &ids, const char *what, std::vector<Buffer> *out) {
  out->resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto found = handles.find(ids[i]);
    std::string error;
    if (found == handles.end()) error = "no live tensor has this id";
    else if (!Locate(found->second, &(*out)[i], &error)) {
    } else if ((*out)[i].dtype != TF_FLOAT) error = "the tensor is not float32";
    if (!error.empty()) {
      Throw(env, std::string(what) + "[" + std::to_string(i) + "] (id " + std::to_string(ids[i]) + "): " + error);
      return false;
    }
    (*out)[i].id = ids[i];
  }
  return true;
}

/** A range of one tensor's elements. */
struct Chunk {
  size_t tensor;
  size_t begin;
  size_t end;
};

std::vector<Chunk> Chunks(const std::vector<Buffer> &buffers) {
  std::vector<Chunk> chunks;
  for (size_t k = 0; k < buffers.size(); ++k) {
    const size_t n = static_cast<size_t>(buffers[k].elements);
    for (size_t b = 0; b < n; b += kChunk) chunks.push_back({k, b, std::min(n, b + kChunk)});
  }
  return chunks;
}

FTUNE_CLONES double SumSquaresRange(const float *x, size_t n) {
  double acc[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) acc[j] += static_cast<double>(x[i + j]) * x[i + j];
  }
  for (; i < n; ++i) acc[0] += static_cast<double>(x[i]) * x[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

struct AdamWScalars {
  float b1, b2, c1, c2, step_size, eps_hat;
};

FTUNE_CLONES void AdamWRange(float *__restrict__ p, const float *__restrict__ g, float *__restrict__ m, float *__restrict__ v,
                size_t n, const AdamWScalars s, const float keep) {
  for (size_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = s.b1 * m[i] + s.c1 * gi;
    const float vi = s.b2 * v[i] + s.c2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * keep - (mi / (std::sqrt(vi) + s.eps_hat)) * s.step_size;
  }
}

}  // namespace

napi_value FtuneOps::Copy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 1) {
    return Throw(env, "ftuneCopy(id) takes a tensor id");
  }
  TFJSBackend *backend = BackendOf(env);
  if (backend == nullptr) return Throw(env, "no backend");
  int32_t id;
  if (napi_get_value_int32(env, args[0], &id) != napi_ok) return Throw(env, "ftuneCopy: the id is not a number");
  auto found = backend->tfe_handle_map_.find(id);
  if (found == backend->tfe_handle_map_.end()) return Throw(env, "ftuneCopy: no live tensor has id " + std::to_string(id));
  Buffer src;
  std::string error;
  if (!Locate(found->second, &src, &error)) return Throw(env, "ftuneCopy: " + error);
  std::vector<int64_t> shape;
  if (!ShapeOf(found->second, &shape, &error)) return Throw(env, "ftuneCopy: " + error);
  TFE_TensorHandle *handle = NewHostTensor(
      src.dtype, shape, src.bytes, [&](void *data) { std::memcpy(data, src.data, src.bytes); }, &error);
  if (handle == nullptr) return Throw(env, "ftuneCopy: " + error);
  return backend->GenerateOutputTensorInfo(env, handle);
}

napi_value FtuneOps::SumSquares(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 1) {
    return Throw(env, "ftuneSumSquares(ids) takes an array of tensor ids");
  }
  TFJSBackend *backend = BackendOf(env);
  if (backend == nullptr) return Throw(env, "no backend");
  std::vector<int32_t> ids;
  std::vector<Buffer> buffers;
  if (!ReadIds(env, args[0], "ftuneSumSquares ids", &ids)) return nullptr;
  if (!Resolve(env, backend->tfe_handle_map_, ids, "ftuneSumSquares ids", &buffers)) return nullptr;
  const std::vector<Chunk> chunks = Chunks(buffers);
  std::vector<double> partial(chunks.size(), 0.0);  // per chunk, summed in order: the result does not depend on threads
  ParallelFor(chunks.size(), Threads(), [&](size_t u, unsigned) {
    const Chunk &c = chunks[u];
    partial[u] = SumSquaresRange(reinterpret_cast<const float *>(buffers[c.tensor].data) + c.begin, c.end - c.begin);
  });
  double total = 0;
  for (double x : partial) total += x;
  napi_value result;
  napi_create_double(env, total, &result);
  return result;
}

napi_value FtuneOps::AdamW(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 6) {
    return Throw(env, "ftuneAdamW(params, grads, m, v, keep, scalars) takes six arguments");
  }
  TFJSBackend *backend = BackendOf(env);
  if (backend == nullptr) return Throw(env, "no backend");
  const auto &handles = backend->tfe_handle_map_;
  const char *names[4] = {"params", "grads", "m", "v"};
  std::vector<int32_t> ids[4];
  std::vector<Buffer> buf[4];
  for (int a = 0; a < 4; ++a) {
    if (!ReadIds(env, args[a], names[a], &ids[a])) return nullptr;
    if (!Resolve(env, handles, ids[a], names[a], &buf[a])) return nullptr;
  }
  std::vector<double> keep, scalars;
  if (!ReadNumbers(env, args[4], "keep", &keep) || !ReadNumbers(env, args[5], "scalars", &scalars)) return nullptr;
  const size_t n = ids[0].size();
  if (ids[1].size() != n || ids[2].size() != n || ids[3].size() != n || keep.size() != n) {
    return Throw(env, "ftuneAdamW: params, grads, m, v and keep must have the same length");
  }
  if (scalars.size() != 6) return Throw(env, "ftuneAdamW: scalars must be [b1, b2, c1, c2, stepSize, epsHat]");
  for (size_t k = 0; k < n; ++k) {
    for (int a = 1; a < 4; ++a) {
      if (buf[a][k].elements != buf[0][k].elements) {
        return Throw(env, std::string("ftuneAdamW: ") + names[a] + "[" + std::to_string(k) + "] has " +
                              std::to_string(buf[a][k].elements) + " elements, params[" + std::to_string(k) + "] " +
                              std::to_string(buf[0][k].elements));
      }
    }
  }
  // What is written (params, m, v) must be memory no other live tensor shares: each a distinct handle, none a
  // gradient, and no other handle's memory overlapping it (TensorFlow's Reshape, Identity and some slices
  // share their input's memory).
  std::unordered_set<TFE_TensorHandle *> written;
  for (int a : {0, 2, 3}) {
    for (const Buffer &b : buf[a]) {
      if (!written.insert(b.handle).second) {
        return Throw(env, "ftuneAdamW: tensor id " + std::to_string(b.id) + " is given twice among params, m and v");
      }
    }
  }
  for (const Buffer &b : buf[1]) {
    if (written.count(b.handle)) return Throw(env, "ftuneAdamW: gradient id " + std::to_string(b.id) + " is also written");
  }
  std::vector<std::pair<const char *, const char *>> live;  // [begin, end) of every other live host tensor
  std::vector<TFE_TensorHandle *> owners;
  for (const auto &entry : handles) {
    Buffer b;
    std::string ignored;
    if (!Locate(entry.second, &b, &ignored) || b.bytes == 0 || b.data == nullptr) continue;
    live.emplace_back(b.data, b.data + b.bytes);
    owners.push_back(entry.second);
  }
  napi_value shared;
  napi_create_array(env, &shared);
  uint32_t shared_count = 0;
  for (int a : {0, 2, 3}) {
    for (const Buffer &b : buf[a]) {
      const char *begin = b.data, *end = b.data + b.bytes;
      for (size_t i = 0; i < live.size(); ++i) {
        if (owners[i] != b.handle && live[i].first < end && begin < live[i].second) {
          napi_value id;
          napi_create_int32(env, b.id, &id);
          napi_set_element(env, shared, shared_count++, id);
          break;
        }
      }
    }
  }
  if (shared_count > 0) return shared;
  const AdamWScalars s{static_cast<float>(scalars[0]), static_cast<float>(scalars[1]), static_cast<float>(scalars[2]),
                       static_cast<float>(scalars[3]), static_cast<float>(scalars[4]), static_cast<float>(scalars[5])};
  const std::vector<Chunk> chunks = Chunks(buf[0]);
  ParallelFor(chunks.size(), Threads(), [&](size_t u, unsigned) {
    const Chunk &c = chunks[u];
    auto at = [&](int a) { return reinterpret_cast<float *>(buf[a][c.tensor].data) + c.begin; };
    AdamWRange(at(0), at(1), at(2), at(3), c.end - c.begin, s, static_cast<float>(keep[c.tensor]));
  });
  return shared;
}

TFE_TensorHandle *FtuneOps::HandleOf(TFJSBackend *backend, int32_t id) {
  auto found = backend->tfe_handle_map_.find(id);
  return found == backend->tfe_handle_map_.end() ? nullptr : found->second;
}

napi_value FtuneOps::OutputInfo(napi_env env, TFJSBackend *backend, TFE_TensorHandle *handle) {
  return backend->GenerateOutputTensorInfo(env, handle);
}

void FtuneOps::Register(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"ftuneCopy", nullptr, Copy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneSumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneAdamW", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneLayerNorm", nullptr, LayerNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneLayerNormGrad", nullptr, LayerNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneGeluNew", nullptr, GeluNew, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneGeluNewGrad", nullptr, GeluNewGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneCrossEntropy", nullptr, CrossEntropy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneCrossEntropyGrad", nullptr, CrossEntropyGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneMaskedSoftmax", nullptr, MaskedSoftmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ftuneSoftmaxGrad", nullptr, SoftmaxGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}

}  // namespace tfnodejs
