// Which event-loop iteration is running: libuv counts them for its metrics (uv_metrics_info,
// libuv >= 1.45, which every supported Node ships). Used by DeliveryCounter; needs no handle, so
// it keeps nothing alive.
//
// Only Node runs a real libuv loop. Bun's uv_* functions on Linux are stubs that end the process
// ("panic: unsupported uv function"), and Deno's uv shim has no uv_metrics_info at all. So the
// function is looked up at run time (no link-time reference: the addon loads everywhere), and
// called only where the runtime is Node. Elsewhere the iteration is kUnknownIteration and the
// stats report wakeups and maxItemsPerWakeup as null (stats.h).
#pragma once

#include <dlfcn.h>
#include <node_api.h>
#include <uv.h>  // uv_loop_t and uv_metrics_t, types only: no libuv function is linked

#include <cstdint>

#include "runtime.h"  // RuntimeRunsLibuv, AlignStampClock
#include "stats.h"    // kUnknownIteration

namespace texample {

namespace internal {

using MetricsInfo = int (*)(uv_loop_t*, uv_metrics_t*);

// Resolved once per process; null where the process has no uv_metrics_info (Deno).
inline MetricsInfo ResolveMetricsInfo() {
  static const MetricsInfo metrics_info =
      reinterpret_cast<MetricsInfo>(dlsym(RTLD_DEFAULT, "uv_metrics_info"));
  return metrics_info;
}

}  // namespace internal

// V8 (nan) chapters, which load only on Node (their index.js refuses other runtimes first).
inline uint64_t LoopIteration(uv_loop_t* loop) {
  const internal::MetricsInfo metrics_info = internal::ResolveMetricsInfo();
  if (metrics_info == nullptr) return kUnknownIteration;
  uv_metrics_t metrics;
  if (metrics_info(loop, &metrics) != 0) return kUnknownIteration;
  return metrics.loop_count;
}

// Node-API chapters: one per environment, created and used on its main thread. Where the runtime
// is not Node it also puts the producers' stamps on that runtime's hrtime clock (producer.h).
class LoopIterations {
 public:
  explicit LoopIterations(napi_env env) : runs_libuv_(RuntimeRunsLibuv(env)) {
    if (!runs_libuv_) {
      AlignStampClock(env);
      return;
    }
    if (internal::ResolveMetricsInfo() == nullptr) return;
    if (napi_get_uv_event_loop(env, &loop_) != napi_ok) loop_ = nullptr;
  }

  // True where the runtime runs a real libuv loop (Node): only there may a chapter call uv_*
  // functions beyond its own mechanism's.
  bool RunsLibuv() const { return runs_libuv_; }

  // True where Current() counts iterations: on Node.
  bool Known() const { return loop_ != nullptr; }

  uint64_t Current() const { return loop_ == nullptr ? kUnknownIteration : LoopIteration(loop_); }

 private:
  bool runs_libuv_ = false;
  uv_loop_t* loop_ = nullptr;  // null where the runtime has no libuv loop to ask
};

}  // namespace texample
