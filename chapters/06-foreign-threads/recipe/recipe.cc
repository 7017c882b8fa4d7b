// Chapter 6's recipe: items that arrive on threads the addon does not own. A POSIX timer with
// SIGEV_THREAD plays the library: at each expiry glibc runs OnExpiry on a thread it creates for
// that expiry (detached, never joined; several at once when one is slow), and timer_delete()
// returns without waiting for one already started. So OnExpiry's argument is an id, never a
// pointer, looked up in a registry that lives as long as the process: the outer part. A stream's
// inner part (its timer and thread-safe function) is freed by stop(), after its last item or by
// the environment's teardown, and that takes its id out of the registry: a callback that comes
// later finds no id, and is refused and counted. Nothing here ever waits for glibc's threads.
// ../ (the full chapter) adds a library with two kinds of unsubscribe, a thread-safe function
// used as a doorbell for a queue of its own, errors the library's thread sees, and
// request/response.
#include <napi.h>
#include <signal.h>  // sigevent, SIGEV_THREAD
#include <time.h>    // timer_create: Linux

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace {

// The payload, copied during the callback: a library lends its buffer only for that long.
struct Item {
  uint64_t seq;
  std::string text;
};

void CallJs(Napi::Env env, Napi::Function on_item, void*, Item* item);
using ThreadSafeFunction = Napi::TypedThreadSafeFunction<void, Item, CallJs>;

// excerpt-begin: registry
// A stream's inner part, owned by the registry's entry: erasing the entry (main thread, under
// the registry's mutex) deletes the timer and aborts the function.
struct Stream {
  uint64_t count = 0, produced = 0;  // to emit; emitted (guarded by the registry's mutex)
  ThreadSafeFunction tsfn;           // called under the registry's mutex, so never once erased
  timer_t timer{};                   // main thread only
  bool has_timer = false;            // main thread only
  ~Stream() {
    if (has_timer) timer_delete(timer);  // stops new expiries; waits for none
    tsfn.Abort();  // releases the loop; Node drops what is queued (CallJs with a null env)
  }
};

// The outer part: one per process and never freed, since a callback may come at any time, even
// during exit(). binding.gyp links with -z nodelete: Node unloads an addon when the last worker
// that loaded it ends, and OnExpiry's code and this must stay mapped after that.
struct Registry {
  std::mutex mutex;  // guards every field below but last_id
  std::unordered_map<uintptr_t, std::unique_ptr<Stream>> streams;  // the running streams, by id
  double calls = 0, late = 0;                                      // every callback; refused ones
  double hold_after = 0x1p53;         // test only (holdAfter): later callbacks wait at the gate
  std::condition_variable gate;       // until the next stop() opens it
  std::atomic<uintptr_t> last_id{0};  // an id is never used twice
};
Registry& registry = *new Registry();
// excerpt-end: registry

// excerpt-begin: expiry
// A thread glibc created for one expiry. All under the mutex, so that no stop() can free the
// stream between the lookup and the call: a stream found here stays alive until this returns.
void OnExpiry(sigval value) {
  std::unique_lock<std::mutex> lock(registry.mutex);
  const double call = ++registry.calls;
  registry.gate.wait(lock, [&] { return call <= registry.hold_after; });
  const auto found = registry.streams.find(reinterpret_cast<uintptr_t>(value.sival_ptr));
  Stream* stream = found == registry.streams.end() ? nullptr : found->second.get();
  if (stream == nullptr || stream->produced == stream->count) {
    ++registry.late;  // stopped, torn down or complete: refused, and nothing of it is touched
    return;
  }
  const uint64_t seq = stream->produced++;
  auto item = std::make_unique<Item>(Item{seq, "item " + std::to_string(seq)});
  if (stream->tsfn.NonBlockingCall(item.get()) == napi_ok) item.release();  // queued: CallJs's
}
// excerpt-end: expiry

// excerpt-begin: call-js
// Main thread: on_item(seq, text), with Node-API's C functions, which report failure as a
// status. A throw is reported as 'uncaughtException' (left pending, Node would swallow it) and
// delivery goes on. Not when the exception is null: Deno, after an exception nothing handled,
// stops all JS, and every later call throws null; reporting it would replace the real error.
void CallJs(Napi::Env env, Napi::Function on_item, void*, Item* item) {
  const std::unique_ptr<Item> owned(item);  // ours to free, delivered or not
  // A null env: dropped by an Abort or a teardown. No function: Deno, for a call that raced an
  // Abort. (Deno also calls with both after an Abort: index.js drops those items.)
  if (env == nullptr || on_item.IsEmpty()) return;
  napi_value argv[2], undefined, result, error;
  napi_valuetype type = napi_null;
  napi_create_double(env, static_cast<double>(item->seq), &argv[0]);
  napi_create_string_utf8(env, item->text.data(), item->text.size(), &argv[1]);
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, on_item, 2, argv, &result) == napi_ok) return;
  napi_get_and_clear_last_exception(env, &error);  // undefined in a terminating worker
  if (napi_typeof(env, error, &type) == napi_ok && type != napi_null) {
    napi_fatal_exception(env, error);  // fails only when JS can no longer run: nothing to do
  }
}
// excerpt-end: call-js

// excerpt-begin: stop
// Main thread: stop(), the last item, or the environment's teardown. Once the id is out of the
// registry no callback can reach the stream, so ~Stream runs at once: a callback in flight, or
// one glibc starts later, is refused.
void Erase(void* id) {
  {
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.streams.erase(reinterpret_cast<uintptr_t>(id));
    registry.hold_after = 0x1p53;  // test only: held callbacks go on, and are refused
  }
  registry.gate.notify_all();
}

// stop(id): index.js calls it once per stream.
void Stop(const Napi::CallbackInfo& info) {
  void* id = reinterpret_cast<void*>(info[0].As<Napi::Number>().Int64Value());
  napi_remove_env_cleanup_hook(info.Env(), Erase, id);  // registered by Start: cannot fail
  Erase(id);
}
// excerpt-end: stop

// excerpt-begin: start
// start(count, intervalMs, onItem, holdAfter) → id, checked by index.js. The stream is
// registered before its timer is armed; the first expiry comes at once, then one per period.
// Period 0 becomes 1 µs: faster than glibc starts threads, so the kernel merges what it cannot
// deliver (overruns) and the stream runs as fast as glibc's threads come.
Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto stream = std::make_unique<Stream>();
  stream->count = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
  const uintptr_t id = ++registry.last_id;
  stream->tsfn = ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "stream", 0, 1);
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD;
  event.sigev_notify_function = OnExpiry;
  event.sigev_value.sival_ptr = reinterpret_cast<void*>(id);
  stream->has_timer = timer_create(CLOCK_MONOTONIC, &event, &stream->timer) == 0;
  if (!stream->has_timer)
    throw Napi::Error::New(env, std::string("timer_create: ") + strerror(errno));
  if (napi_add_env_cleanup_hook(env, Erase, reinterpret_cast<void*>(id)) != napi_ok)
    throw Napi::Error::New(env, "napi_add_env_cleanup_hook failed");  // ~Stream cleans up
  const double ms = info[1].As<Napi::Number>().DoubleValue();
  const int64_t ns = ms > 0.001 ? static_cast<int64_t>(ms * 1e6) : 1000;
  const itimerspec schedule{{ns / 1000000000, ns % 1000000000}, {0, 1}};
  const timer_t timer = stream->timer;
  {
    std::lock_guard<std::mutex> lock(registry.mutex);  // publishes the stream to OnExpiry
    registry.streams[id] = std::move(stream);
    registry.hold_after = info[3].As<Napi::Number>().DoubleValue();
  }
  timer_settime(timer, 0, &schedule, nullptr);  // a valid timer and values: cannot fail
  return Napi::Number::New(env, static_cast<double>(id));
}
// excerpt-end: start

// callbacks() → { calls, late }: every call glibc made into OnExpiry in this process, and those
// refused.
Napi::Value Callbacks(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(registry.mutex);
  Napi::Object counts = Napi::Object::New(info.Env());
  counts["calls"] = registry.calls;
  counts["late"] = registry.late;
  return counts;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports["start"] = Napi::Function::New(env, Start);
  exports["stop"] = Napi::Function::New(env, Stop);
  exports["callbacks"] = Napi::Function::New(env, Callbacks);
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
