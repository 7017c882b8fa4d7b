// Chapter 2's recipe: a raw uv_async_t. A producer std::thread queues items under a mutex and
// calls uv_async_send; the main thread calls JS per item, at most kTurnBudget per wake-up, and
// sends to its own handle for the rest, which then waits for the next loop turn.
// ../texample.cc adds: stats, several producers, delivery (not dropping) of what is queued at
// stop(), the callback looked up on the module per wake-up, the budget as a start() option
// (turnBudget), the 'drain one' teaching switch, cache-line alignment, and shared code in
// ../../common (producer.h, locked_queue.h).
#include <napi.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

// binding.gyp's target_name, which node-gyp defines as NODE_GYP_MODULE_NAME, as a string.
#define STRINGIFY(name) #name
#define NAME_OF(name) STRINGIFY(name)

namespace {

// excerpt-begin: item
// The payload. Built on the producer thread, moved into the queue, moved out and freed on the
// main thread: the string changes owner at each step and is never shared.
struct Item {
  uint64_t seq;
  std::string text;
};
// excerpt-end: item

// excerpt-begin: deliver
// Main thread: on_item(seq, text), with Node-API's C functions, which report failure as a status
// instead of throwing. A call fails in two cases. The callback threw: the exception is reported as
// 'uncaughtException', as Node does for its own callbacks. Or JS can no longer run here (a worker
// being terminated): then napi_fatal_exception fails too, and false tells the caller to stop.
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

// Items one wake-up delivers at most: 4096 calls of a cheap callback take well under 1 ms.
constexpr size_t kTurnBudget = 4096;

// excerpt-begin: open
// One per environment (the main thread, each worker_thread): no globals. Its uv_async_t lives as
// long as the environment: opened here, referenced only while a stream runs, and closed by the
// environment's cleanup hook, which frees this object once libuv is done with the handle.
class Stream {
 public:
  explicit Stream(Napi::Env env) : env_(env), context_(env, NAME_OF(NODE_GYP_MODULE_NAME)) {
    uv_loop_t* loop = nullptr;  // this environment's loop: a worker_thread has its own
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no libuv loop");
    // Also starts the handle, referenced: it would hold the loop (the process, the worker) open
    // for good, so it is unreferenced at once; Start() references it and Stop() lets go again.
    const int error = uv_async_init(
        loop, &async_, [](uv_async_t* async) { static_cast<Stream*>(async->data)->Drain(); });
    if (error) throw Napi::Error::New(env, std::string("uv_async_init: ") + uv_strerror(error));
    async_.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  }
  // Only TearDown's close callback deletes a Stream, stopped by then: a no-op that keeps a rule
  // true on any path, no Stream is freed while its producer thread may still read it.
  ~Stream() { Stop(); }
  // excerpt-end: open

  // excerpt-begin: start
  // Main thread: start(count, intervalMs, onItem), arguments checked by index.js.
  void Start(const Napi::CallbackInfo& info) {
    if (producer_.joinable()) throw Napi::Error::New(env_, "a stream is already running");
    stopping_.store(false, std::memory_order_relaxed);  // creating the thread publishes it
    try {
      producer_ = std::thread(
          &Stream::Produce, this, info[0].As<Napi::Number>().Int64Value(),
          std::chrono::duration<double, std::milli>(info[1].As<Napi::Number>().DoubleValue()));
    } catch (const std::system_error& error) {
      throw Napi::Error::New(env_, std::string("no producer thread: ") + error.what());
    }
    on_item_ = Napi::Persistent(info[2].As<Napi::Function>());  // before the first wake-up
    // A running stream keeps the loop alive, even after its last item.
    uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
  }
  // excerpt-end: start

  // excerpt-begin: stop
  // Main thread, also from inside on_item. Wakes the producer if it waits out its interval,
  // joins it and drops what it queued: once this returns, on_item is not called again.
  void Stop() {
    if (!producer_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);  // else the producer could miss the notify
      stopping_.store(true, std::memory_order_relaxed);
    }
    wake_.notify_one();
    producer_.join();  // orders its last push before the clear: no lock needed any more
    queue_.clear();
    batch_.clear();  // ends Drain()'s loop when on_item called stop()
    on_item_.Reset();
    uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  }
  // excerpt-end: stop

  // excerpt-begin: teardown
  // Main thread of an environment going away (a worker terminated, the process exiting): an
  // asynchronous cleanup hook, as closing a handle is asynchronous. No JS may run. Join first: a
  // send reads the handle, so none may follow the close. The memory goes in the close callback,
  // where removing the hook tells Node that it may free the loop once we return.
  static void TearDown(napi_async_cleanup_hook_handle, void* arg) {
    auto* self = static_cast<Stream*>(arg);
    self->Stop();
    uv_close(reinterpret_cast<uv_handle_t*>(&self->async_), [](uv_handle_t* handle) {
      std::unique_ptr<Stream> self(static_cast<Stream*>(handle->data));
      if (self->hook_ != nullptr) napi_remove_async_cleanup_hook(self->hook_);
    });
  }

  // Set by Init: main thread.
  napi_async_cleanup_hook_handle hook_ = nullptr;
  // excerpt-end: teardown

 private:
  // excerpt-begin: produce
  // Producer thread. One send per item is correct and cheap: sends coalesce, and while a wake-up
  // is pending a send only reads libuv's pending flag. libuv clears that flag before it calls
  // Drain(), which then takes the queue under the mutex; so a send that finds the flag set is
  // covered by a take that comes after this push. Sending under the lock keeps that argument
  // short; it makes Drain() wait only for a send that writes the loop's eventfd, one per wake-up.
  // Between items it waits `interval` on a condition variable, as a sensor thread waits on its
  // device: stop() wakes it at once.
  void Produce(uint64_t count, std::chrono::duration<double, std::milli> interval) {
    const auto stopping = [this] { return stopping_.load(std::memory_order_relaxed); };
    for (uint64_t seq = 0; seq < count && !stopping(); ++seq) {
      Item item{seq, "item " + std::to_string(seq)};  // allocates outside the lock
      std::unique_lock<std::mutex> lock(mutex_);
      if (seq > 0 && interval.count() > 0 && wake_.wait_for(lock, interval, stopping)) return;
      queue_.push_back(std::move(item));  // unbounded: a slow main thread costs memory
      uv_async_send(&async_);
    }
  }
  // excerpt-end: produce

  // excerpt-begin: drain
  // Main thread, once per wake-up however many sends coalesced into it: at most kTurnBudget
  // items, taking the queue whenever what it took is delivered. It returns when a take finds the
  // queue empty (a later push sends again), or with the budget spent, after a send to its own
  // handle that wakes it in the next loop turn. Nothing may be thrown into libuv: node-addon-api
  // throws here only on invalid arguments, and Deliver() catches what JS throws.
  void Drain() {
    Napi::HandleScope scope(env_);
    // Microtasks and process.nextTick callbacks queued by on_item run when this scope closes.
    Napi::CallbackScope callback_scope(env_, context_);
    for (size_t delivered = 0; delivered < kTurnBudget; ++delivered, ++next_) {
      if (next_ >= batch_.size()) {  // all delivered, or stop() in on_item cleared it
        batch_.clear();
        next_ = 0;
        std::lock_guard<std::mutex> lock(mutex_);  // held for a swap, never while JS runs
        batch_.swap(queue_);
      }
      if (batch_.empty()) return;
      Napi::HandleScope item_scope(env_);
      if (!Deliver(env_, on_item_.Value(), batch_[next_])) return;
    }
    uv_async_send(&async_);
  }
  // excerpt-end: drain

  // excerpt-begin: fields
  // Set at construction: main thread.
  const Napi::Env env_;
  Napi::AsyncContext context_;  // the async_hooks identity of the callbacks

  uv_async_t async_;                   // producer: uv_async_send only; main thread: the rest
  std::atomic<bool> stopping_{false};  // main thread writes, producer reads
  std::mutex mutex_;
  std::condition_variable wake_;  // stop() notifies a producer waiting out its interval
  std::vector<Item> queue_;       // guarded by mutex_: producer pushes, main thread takes

  // Main thread only.
  std::thread producer_;
  std::vector<Item> batch_;  // what the last take took
  size_t next_ = 0;          // the next item of batch_ to deliver
  Napi::FunctionReference on_item_;
  // excerpt-end: fields
};

// excerpt-begin: init
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* stream = new Stream(env);  // freed by its cleanup hook (or here, if there is none)
  if (napi_add_async_cleanup_hook(env, Stream::TearDown, stream, &stream->hook_) != napi_ok) {
    Stream::TearDown(nullptr, stream);
    throw Napi::Error::New(env, "napi_add_async_cleanup_hook failed");
  }
  exports["start"] = Napi::Function::New(env, [=](const auto& info) { stream->Start(info); });
  exports["stop"] = Napi::Function::New(env, [=](const auto&) { stream->Stop(); });
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
// excerpt-end: init
