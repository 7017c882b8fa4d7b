// Chapter 4's recipe: Napi::TypedThreadSafeFunction. The producer std::thread hands each item to
// Node with BlockingCall; Node queues it, wakes the main thread and calls CallJs once per item.
// ../texample.cc adds: several producers sharing one thread count, a choice of queue size and of
// blocking or non-blocking calls (and the lock that several blocking producers need), items in
// preallocated slots instead of a new one per call, stats, the callback looked up on the module
// per wake-up, and the untyped variant (../untyped.js).
#include <napi.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

// binding.gyp's target_name, which node-gyp defines as NODE_GYP_MODULE_NAME, as a string.
#define STRINGIFY(name) #name
#define NAME_OF(name) STRINGIFY(name)

namespace {

// excerpt-begin: item
// The payload. Made on the producer thread; its pointer travels through Node's queue, and CallJs
// takes ownership of it and frees it on the main thread.
struct Item {
  uint64_t seq;
  std::string text;
};
// excerpt-end: item

// excerpt-begin: deliver
// Main thread: on_item(seq, text), with Node-API's C functions, which report failure as a status
// instead of throwing. A call fails in two cases. The callback threw: the exception is reported as
// 'uncaughtException' (left pending here, Node would swallow it with a DEP0168 warning in an
// addon built for Node-API 8). Or JS can no longer run here (a worker being terminated): then
// napi_fatal_exception fails too, and false says so.
bool Deliver(napi_env env, napi_value on_item, const Item& item) {
  napi_value argv[2], undefined, result, error;
  napi_create_double(env, static_cast<double>(item.seq), &argv[0]);
  napi_create_string_utf8(env, item.text.data(), item.text.size(), &argv[1]);
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, on_item, 2, argv, &result) == napi_ok) return true;
  napi_get_and_clear_last_exception(env, &error);  // undefined when nothing is pending
  // null: JS can no longer run (index.js wraps one onItem throws). Deno throws it from each call
  // after an unhandled exception: reported, it would replace the error ending the process.
  napi_valuetype type = napi_undefined;
  if (napi_typeof(env, error, &type) == napi_ok && type == napi_null) return false;
  return napi_fatal_exception(env, error) == napi_ok;
}
// excerpt-end: deliver

// excerpt-begin: call-js
// call_js, fixed at compile time: Node calls it on the main thread once per queued item, in
// order, inside a callback scope of its own. When the function is aborted (stop()) or closed by
// the environment's teardown, Node calls it once more for every item still queued, with a null
// env: no JS then, but the item is still ours to free. So it is owned from the first line. Deno
// passes a real env but no function for a call that raced the Abort: no JS then either.
void CallJs(Napi::Env env, Napi::Function on_item, void* /*context*/, Item* data) {
  std::unique_ptr<Item> item(data);
  if (env != nullptr && !on_item.IsEmpty()) Deliver(env, on_item, *item);
}
using ThreadSafeFunction = Napi::TypedThreadSafeFunction<void, Item, CallJs>;
// excerpt-end: call-js

// Bounded: a producer faster than the main thread waits in BlockingCall instead of growing the
// queue without limit.
constexpr size_t kQueueSize = 1024;

// One per environment (the main thread, each worker_thread): no globals. A new function per
// stream: an aborted one cannot be used again.
class Stream {
 public:
  // excerpt-begin: start
  // Main thread. One thread count, held by the main thread and given back only by Stop()'s
  // Abort: the producer never releases, so the function cannot close while it may still call.
  // The function is referenced, so a running stream keeps the loop alive, even after its last
  // item; once aborted and closed, it holds nothing. start(count, intervalMs, onItem), checked by
  // index.js; New() throws on a failed status.
  void Start(const Napi::CallbackInfo& info) {
    if (producer_.joinable()) throw Napi::Error::New(info.Env(), "a stream is already running");
    tsfn_ = ThreadSafeFunction::New(info.Env(), info[2].As<Napi::Function>(),
                                    NAME_OF(NODE_GYP_MODULE_NAME), kQueueSize,
                                    /*initialThreadCount=*/1);
    stopping_ = false;  // creating the thread publishes this and tsfn_ to it
    try {
      producer_ = std::thread(
          &Stream::Produce, this, info[0].As<Napi::Number>().Int64Value(),
          std::chrono::duration<double, std::milli>(info[1].As<Napi::Number>().DoubleValue()));
    } catch (const std::system_error& error) {
      tsfn_.Abort();  // else the open function would hold the loop for good
      throw Napi::Error::New(info.Env(), std::string("no producer thread: ") + error.what());
    }
  }
  // excerpt-end: start

  // excerpt-begin: stop
  // Main thread, also from inside on_item. Wake a producer waiting out its interval; Abort before
  // the join: every call fails from now on, waking a producer blocked in BlockingCall on a full
  // queue (joining first would wait for a producer that waits for us). Node drops what is queued
  // (CallJs with a null env) and frees the function on a later loop turn, after join(). Bun and
  // Deno still run CallJs for what was queued before the Abort; index.js drops those items.
  void Stop() {
    if (!producer_.joinable()) return;
    Wake();
    tsfn_.Abort();
    producer_.join();
  }
  // excerpt-end: stop

  // The environment's teardown deletes a Stream whose stream may still run: its producer thread
  // reads this object, so it is stopped (woken, joined) before the memory goes.
  ~Stream() { Stop(); }

 private:
  // excerpt-begin: produce
  // Producer thread. BlockingCall waits while the queue is full; it fails once the function is
  // aborted or closing (stop(), or the environment's teardown): the item is then still ours.
  // Between items it waits `interval` (Sleep, which stop() wakes).
  void Produce(uint64_t count, std::chrono::duration<double, std::milli> interval) {
    for (uint64_t seq = 0; seq < count; ++seq) {
      if (seq > 0 && interval.count() > 0 && Sleep(interval)) return;
      auto item = std::make_unique<Item>(Item{seq, "item " + std::to_string(seq)});
      if (tsfn_.BlockingCall(item.get()) != napi_ok) return;  // unique_ptr frees it
      item.release();                                         // queued: CallJs owns it now
    }
  }
  // excerpt-end: produce

  // Producer thread: waits `interval`, as a sensor thread waits on its device, or less when
  // stop() notifies. True when stopping.
  bool Sleep(std::chrono::duration<double, std::milli> interval) {
    std::unique_lock<std::mutex> lock(mutex_);
    return wake_.wait_for(lock, interval, [&] { return stopping_; });
  }

  // Main thread: ends a Sleep. The flag is set under the lock, else the producer could check it
  // just before and miss the notify.
  void Wake() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
  }

  ThreadSafeFunction tsfn_;  // main thread writes it before the producer starts
  std::thread producer_;     // main thread only
  std::mutex mutex_;
  std::condition_variable wake_;  // stop() notifies a producer waiting out its interval
  bool stopping_ = false;         // guarded by mutex_
};

// excerpt-begin: teardown
// Main thread of an environment going away (a worker terminated, the process exiting). Node's
// own hook for the function has marked it closing (or does so next), waking a blocked producer;
// it frees the function only in a close callback after the hooks. So the join in ~Stream, and
// the Abort before it, run while the function's memory is still valid.
void TearDown(void* arg) { delete static_cast<Stream*>(arg); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* stream = new Stream();  // freed by its cleanup hook
  if (napi_add_env_cleanup_hook(env, TearDown, stream) != napi_ok) {
    delete stream;
    throw Napi::Error::New(env, "napi_add_env_cleanup_hook failed");
  }
  exports["start"] = Napi::Function::New(env, [=](const auto& info) { stream->Start(info); });
  exports["stop"] = Napi::Function::New(env, [=](const auto&) { stream->Stop(); });
  return exports;
}
// excerpt-end: teardown

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
