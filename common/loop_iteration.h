// Which event-loop iteration is running: libuv counts them for its metrics (libuv >= 1.45, which
// is what Node 20 ships). Used by DeliveryCounter; needs no handle, so it keeps nothing alive.
#pragma once

#include <uv.h>

#include <cstdint>

namespace texample {

inline uint64_t LoopIteration(uv_loop_t* loop) {
  uv_metrics_t metrics;
  if (uv_metrics_info(loop, &metrics) != 0) return 0;
  return metrics.loop_count;
}

}  // namespace texample
