// stats() as a JS object, for the chapters written with node-addon-api (the nan ones build theirs
// with V8's API). Numbers are exact up to 2^53; wakeups and maxItemsPerWakeup are null where the
// runtime cannot tell loop iterations apart (loop_iteration.h).
#pragma once

#include <napi.h>

#include <cstdint>

#include "stats.h"

namespace texample {

// Main thread of `env`.
inline Napi::Object StatsObject(Napi::Env env, const StatsSnapshot& s) {
  Napi::Object stats = Napi::Object::New(env);
  auto set = [&](const char* name, uint64_t value) {
    stats.Set(name, Napi::Number::New(env, static_cast<double>(value)));
  };
  set("sent", s.sent);
  set("delivered", s.delivered);
  set("dropped", s.dropped);
  if (s.wakeups_known) {
    set("wakeups", s.wakeups);
    set("maxItemsPerWakeup", s.max_items_per_wakeup);
  } else {
    stats.Set("wakeups", env.Null());
    stats.Set("maxItemsPerWakeup", env.Null());
  }
  set("peakQueueDepth", s.peak_queue_depth);
  return stats;
}

}  // namespace texample
