// The naive version, kept to show what chapter 6's handle prevents: the library's callback calls
// a thread-safe function straight from the library thread, and stop() unsubscribes and then
// releases the function. Nothing registers a cleanup hook. Every status is checked, and still:
//   - after an at-once unsubscribe, the library's late calls reach a function that the release
//     let Node close and free: a use-after-free in napi_call_threadsafe_function;
//   - when a worker is terminated, the environment's cleanup closes and frees the function while
//     the library's threads keep calling it: the same use-after-free (nodejs/node#55706), and,
//     while it is being finalized, calls that race the unlocked walk of its queue.
// experiments/naive/run.js shows each, and the chapter passing the same commands.
#include <node_api.h>

#include <cstdint>
#include <cstdio>

#include "library/feed.h"

namespace {

struct Stream {
  napi_threadsafe_function function = nullptr;
  feed_subscription* subscription = nullptr;
};

// Library thread: one call per item, the value carried in the data pointer.
int OnEvent(void* user_data, const feed_event* event) {
  if (event->kind != FEED_EVENT_ITEM) return FEED_CONTINUE;
  auto function = static_cast<napi_threadsafe_function>(user_data);
  void* data = reinterpret_cast<void*>(static_cast<uintptr_t>(event->value));
  return napi_call_threadsafe_function(function, data, napi_tsfn_nonblocking) == napi_ok
             ? FEED_CONTINUE
             : FEED_REFUSE;
}

// Main thread: callback(value).
void CallJs(napi_env env, napi_value callback, void*, void* data) {
  if (env == nullptr || callback == nullptr) return;
  napi_value undefined, value;
  if (napi_get_undefined(env, &undefined) != napi_ok ||
      napi_create_double(env, static_cast<double>(reinterpret_cast<uintptr_t>(data)), &value) !=
          napi_ok) {
    return;
  }
  napi_call_function(env, undefined, callback, 1, &value, nullptr);
}

Stream* Self(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  void* data = nullptr;
  if (napi_get_cb_info(env, info, argc, argv, nullptr, &data) != napi_ok) return nullptr;
  return static_cast<Stream*>(data);
}

// start(callback, producers, lateMs, rate): an endless stream, `rate` items per second.
napi_value Start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Stream* self = Self(env, info, &argc, argv);
  uint32_t producers = 1, late_ms = 0, rate = 1;
  napi_value name;
  if (self == nullptr || argc != 4 || napi_get_value_uint32(env, argv[1], &producers) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &late_ms) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &rate) != napi_ok || rate == 0 ||
      napi_create_string_utf8(env, "naive", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[0], nullptr, name, 0, 1, nullptr, nullptr, nullptr,
                                      CallJs, &self->function) != napi_ok) {
    napi_throw_error(env, nullptr, "start(callback, producers, lateMs, rate) failed");
    return nullptr;
  }
  const feed_config config{producers, UINT64_MAX, 1'000'000'000u / rate, 0, late_ms};
  feed_error error{};
  if (feed_subscribe(OnEvent, self->function, &config, &self->subscription, &error) != 0) {
    napi_throw_error(env, nullptr, "feed_subscribe failed");
  }
  return nullptr;
}

// stop(atOnce): unsubscribe, then release the function.
napi_value Stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Stream* self = Self(env, info, &argc, argv);
  bool at_once = false;
  if (self == nullptr || self->subscription == nullptr ||
      napi_get_value_bool(env, argv[0], &at_once) != napi_ok) {
    return nullptr;
  }
  feed_unsubscribe(self->subscription, at_once ? FEED_UNSUBSCRIBE_AT_ONCE : FEED_UNSUBSCRIBE_WAIT);
  self->subscription = nullptr;
  if (napi_release_threadsafe_function(self->function, napi_tsfn_release) != napi_ok) {
    std::fprintf(stderr, "naive: release failed\n");
  }
  return nullptr;
}

napi_value LibraryStats(napi_env env, napi_callback_info) {
  struct feed_stats stats {};
  feed_stats(&stats);
  napi_value out, value;
  napi_create_object(env, &out);
  napi_create_double(env, static_cast<double>(stats.threads_running), &value);
  napi_set_named_property(env, out, "threadsRunning", value);
  napi_create_double(env, static_cast<double>(stats.refused), &value);
  napi_set_named_property(env, out, "refused", value);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  auto* self = new Stream;  // one per environment, never freed: naive, and not the point here
  const napi_property_descriptor methods[] = {
      {"start", nullptr, Start, nullptr, nullptr, nullptr, napi_default, self},
      {"stop", nullptr, Stop, nullptr, nullptr, nullptr, napi_default, self},
      {"libraryStats", nullptr, LibraryStats, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 3, methods);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
