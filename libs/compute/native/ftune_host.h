// Helpers shared by ftune's native ops (ftune_ops.cc, ftune_fused.cc): tensors by id in host memory, new output
// tensors over memory of their own, errors thrown to JavaScript, and work spread over the process's threads.
#ifndef FTUNE_HOST_H_
#define FTUNE_HOST_H_

#include <node_api.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"
#include "tensorflow/c/eager/c_api_experimental.h"
#include "tfjs_backend.h"

// Loops over elements are compiled for AVX-512, AVX2 and the baseline (SSE2), the best chosen when the addon loads.
#define FTUNE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

namespace tfnodejs {
namespace ftune {

struct Status {
  TF_Status *s = TF_NewStatus();
  Status() = default;
  Status(const Status &) = delete;
  Status &operator=(const Status &) = delete;
  ~Status() { TF_DeleteStatus(s); }
  bool ok() const { return TF_GetCode(s) == TF_OK; }
};

inline napi_value Throw(napi_env env, const std::string &message) {
  napi_throw_error(env, nullptr, ("ftune native ops: " + message).c_str());
  return nullptr;
}

inline TFJSBackend *BackendOf(napi_env env) {
  void *data = nullptr;
  if (napi_get_instance_data(env, &data) != napi_ok) return nullptr;
  return static_cast<TFJSBackend *>(data);
}

/** A tensor's memory in the host. */
struct Buffer {
  int32_t id = -1;
  TFE_TensorHandle *handle = nullptr;
  char *data = nullptr;
  size_t bytes = 0;
  int64_t elements = 0;
  TF_DataType dtype = TF_FLOAT;
};

/** Fills `out` for a handle whose memory is on the host CPU, else returns false with the reason. */
inline bool Locate(TFE_TensorHandle *h, Buffer *out, std::string *error) {
  Status st;
  const char *device = TFE_TensorHandleBackingDeviceName(h, st.s);
  if (!st.ok() || device == nullptr) {
    *error = std::string("no device: ") + TF_Message(st.s);
    return false;
  }
  if (std::strstr(device, ":CPU:") == nullptr) {
    *error = std::string("the tensor is not in host memory but on ") + device;
    return false;
  }
  out->handle = h;
  out->dtype = TFE_TensorHandleDataType(h);
  if (out->dtype == TF_STRING || out->dtype == TF_RESOURCE || out->dtype == TF_VARIANT) {
    *error = "the tensor is not of a plain numeric type";
    return false;
  }
  out->elements = TFE_TensorHandleNumElements(h, st.s);
  if (st.ok()) out->bytes = TFE_TensorHandleDeviceMemorySize(h, st.s);
  if (st.ok()) out->data = static_cast<char *>(TFE_TensorHandleDevicePointer(h, st.s));
  if (!st.ok()) {
    *error = TF_Message(st.s);
    return false;
  }
  return true;
}

/** A tensor's shape, or false with the reason. */
inline bool ShapeOf(TFE_TensorHandle *h, std::vector<int64_t> *shape, std::string *error) {
  Status st;
  const int dims = TFE_TensorHandleNumDims(h, st.s);
  shape->assign(std::max(dims, 0), 0);
  for (int d = 0; st.ok() && d < dims; ++d) (*shape)[d] = TFE_TensorHandleDim(h, d, st.s);
  if (!st.ok()) *error = TF_Message(st.s);
  return st.ok();
}

/**
 * A new host tensor of `shape`, filled by `fill(data)`. Its memory comes from TensorFlow's CPU allocator, as its own
 * ops' outputs do: that allocator hands freed blocks out again, where fresh memory from the C library costs a page
 * fault per 4 KiB on its first write (a (255, 50257) gradient: about 12,000 faults, most of the op's time).
 */
template <typename Fill>
TFE_TensorHandle *NewHostTensor(TF_DataType dtype, const std::vector<int64_t> &shape, size_t bytes, Fill fill,
                                std::string *error) {
  TF_Tensor *tensor = TF_AllocateTensor(dtype, shape.data(), static_cast<int>(shape.size()), bytes);
  if (tensor == nullptr || (bytes > 0 && TF_TensorData(tensor) == nullptr)) {
    if (tensor != nullptr) TF_DeleteTensor(tensor);
    *error = "out of memory";
    return nullptr;
  }
  fill(TF_TensorData(tensor));
  Status st;
  TFE_TensorHandle *handle = TFE_NewTensorHandle(tensor, st.s);
  TF_DeleteTensor(tensor);  // the handle holds the memory now
  if (!st.ok()) {
    *error = TF_Message(st.s);
    return nullptr;
  }
  return handle;
}

/** The threads this process may run on. */
inline unsigned Threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  unsigned n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : std::thread::hardware_concurrency();
  return std::max(1u, std::min(n, 64u));
}

/**
 * Threads that stay for the life of the process and take units of work alongside the calling thread. A call
 * returns once every unit is done; it never waits for a thread that has not started on any of them (on a busy
 * machine one may not get a core for milliseconds), as joining freshly started threads would.
 */
class Pool {
 public:
  static Pool &Get() {
    static Pool *pool = new Pool(Threads() - 1);  // never destroyed: its threads end with the process
    return *pool;
  }

  template <typename Body>
  void Run(size_t units, Body &body) {
    std::unique_lock<std::mutex> running(run_, std::try_to_lock);
    if (helpers_ == 0 || units <= 1 || !running.owns_lock()) {  // one unit, or a call from another thread: inline
      for (size_t u = 0; u < units; ++u) body(u, 0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      body_ = &body;
      call_ = [](void *b, size_t u, unsigned t) { (*static_cast<Body *>(b))(u, t); };
      units_ = units;
      next_.store(0, std::memory_order_relaxed);
      ++generation_;
    }
    wake_.notify_all();
    Work(0);
    std::unique_lock<std::mutex> lock(mu_);
    body_ = nullptr;  // a thread waking from now on finds nothing to do
    idle_.wait(lock, [&] { return inside_ == 0; });
  }

 private:
  explicit Pool(unsigned helpers) : helpers_(helpers) {
    for (unsigned t = 1; t <= helpers; ++t) std::thread([this, t] { Loop(t); }).detach();
  }

  void Work(unsigned t) {
    for (size_t u; (u = next_.fetch_add(1, std::memory_order_relaxed)) < units_;) call_(body_, u, t);
  }

  void Loop(unsigned t) {
    std::unique_lock<std::mutex> lock(mu_);
    uint64_t seen = 0;
    for (;;) {
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (body_ == nullptr) continue;
      ++inside_;
      lock.unlock();
      Work(t);
      lock.lock();
      if (--inside_ == 0) idle_.notify_all();
    }
  }

  const unsigned helpers_;
  std::mutex run_;  // one call at a time
  std::mutex mu_;
  std::condition_variable wake_, idle_;
  void *body_ = nullptr;
  void (*call_)(void *, size_t, unsigned) = nullptr;
  size_t units_ = 0;
  std::atomic<size_t> next_{0};
  uint64_t generation_ = 0;
  int inside_ = 0;
};

/** Runs body(unit, thread) for every unit in [0, units): on the calling thread alone when `threads` is 1, else
 * over the process's threads. */
template <typename Body>
void ParallelFor(size_t units, unsigned threads, Body body) {
  if (threads <= 1) {
    for (size_t u = 0; u < units; ++u) body(u, 0);
    return;
  }
  Pool::Get().Run(units, body);
}

}  // namespace ftune
}  // namespace tfnodejs

#endif  // FTUNE_HOST_H_
