// Chapter 1's recipe: the 2011 addon's design with its bugs fixed, in nan. A producer std::thread
// queues items under a mutex and sends an async watcher; the main thread delivers at most
// kTurnBudget items per wake-up and sends again for the rest, in the next loop turn. The 2011
// code used libev's ev_async; Node's loop has been libuv's since 0.9, and ev_async_send is
// uv_async_send underneath (../../common/ev_shim.h), so this calls libuv itself.
// ../texample.cc adds: the libev-style shim, stats, several producers, delivery (not dropping)
// of what is queued at stop(), the callback looked up on the module per wake-up, the budget as
// a start() option (turnBudget), and one callback scope per wake-up.
#include <nan.h>

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

// Items one wake-up delivers at most: 4096 calls of a cheap callback take well under 1 ms.
constexpr size_t kTurnBudget = 4096;

// excerpt-begin: open
// One per environment (the main thread, each worker_thread): the 2011 code's globals were
// shared by every worker and outlived the environment that filled them. Its uv_async_t lives as
// long as the environment: opened here, referenced only while a stream runs, and closed by the
// environment's cleanup hook, which frees this object once libuv is done with the handle.
class Stream {
 public:
  // Main thread, once. Returns what failed, or an empty string.
  std::string Open(v8::Isolate* isolate) {
    // This environment's loop (a worker_thread has its own). uv_async_init also starts the
    // handle, referenced: it would hold the loop (the process, the worker) open for good, so it
    // is unreferenced at once; Start() references it and Stop() lets go again.
    uv_loop_t* loop = node::GetCurrentEventLoop(isolate);
    if (loop == nullptr) return "node::GetCurrentEventLoop: no libuv loop here";
    const int error = uv_async_init(loop, &async_, OnWakeUp);
    if (error) return std::string("uv_async_init: ") + uv_strerror(error);
    async_.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
    // nan 2.x wraps no cleanup hook; node.h's asynchronous one waits until `done` is called.
    hook_ = node::AddEnvironmentCleanupHook(isolate, TearDown, this);
    return "";
  }
  // Only TearDown's close callback deletes an open Stream, stopped by then: a no-op that keeps a
  // rule true on any path, no Stream is freed while its producer thread may still read it.
  ~Stream() { Stop(); }
  // excerpt-end: open

  // excerpt-begin: start
  // Main thread: start(count, intervalMs, onItem), arguments checked by index.js.
  void Start(const Nan::FunctionCallbackInfo<v8::Value>& info) {
    if (producer_.joinable()) return Nan::ThrowError("a stream is already running");
    stopping_.store(false, std::memory_order_relaxed);  // creating the thread publishes it
    try {
      producer_ =
          std::thread(&Stream::Produce, this, info[0].As<v8::Number>()->Value(),
                      std::chrono::duration<double, std::milli>(info[1].As<v8::Number>()->Value()));
    } catch (const std::system_error& error) {
      return Nan::ThrowError((std::string("no producer thread: ") + error.what()).c_str());
    }
    on_item_.Reset(info[2].As<v8::Function>());  // before the first wake-up
    // A running stream keeps the loop alive, even after its last item.
    uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
  }
  // excerpt-end: start

  // excerpt-begin: stop
  // Main thread, also from inside on_item. Wakes the producer if it waits out its interval, joins
  // it (the 2011 code never did) and drops what it queued: once this returns, on_item is not
  // called again.
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
  // Main thread of an environment going away (a worker terminated, the process exiting). No JS
  // may run. Join first: a send reads the handle, so none may follow the close. The memory goes
  // in the close callback; calling `done` then tells Node it may free the loop.
  static void TearDown(void* arg, void (*done)(void*), void* done_arg) {
    auto* self = static_cast<Stream*>(arg);
    self->Stop();
    self->done_ = {done, done_arg};
    uv_close(reinterpret_cast<uv_handle_t*>(&self->async_), [](uv_handle_t* handle) {
      std::unique_ptr<Stream> self(static_cast<Stream*>(handle->data));
      self->done_.first(self->done_.second);
    });
  }
  // excerpt-end: teardown

 private:
  // excerpt-begin: produce
  // Producer thread. The 2011 code pushed with no lock on the reading side; here both sides lock.
  // One send per item is correct and cheap: sends coalesce, and while a wake-up is pending a send
  // only reads libuv's pending flag. libuv clears that flag before it calls OnWakeUp, which then
  // takes the queue under the mutex; so a send that finds the flag set is covered by a take that
  // comes after this push. Sending under the lock keeps that argument short; it makes Drain() wait
  // only for a send that writes the loop's eventfd, one per wake-up.
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
  // Main thread, once per wake-up however many sends coalesced into it. The 2011 code popped one
  // item here, so every coalesced send stranded one; this delivers up to kTurnBudget items, taking
  // the queue whenever what it took is delivered. It returns when a take finds the queue empty
  // (a later push sends again), or with the budget spent, after a send to its own handle that
  // wakes it in the next loop turn: so a producer faster than JS never holds the loop.
  static void OnWakeUp(uv_async_t* async) { static_cast<Stream*>(async->data)->Drain(); }

  void Drain() {
    for (size_t delivered = 0; delivered < kTurnBudget; ++delivered, ++next_) {
      if (next_ >= batch_.size()) {  // all delivered, or stop() in on_item cleared it
        batch_.clear();
        next_ = 0;
        std::lock_guard<std::mutex> lock(mutex_);  // held for a swap, never while JS runs
        batch_.swap(queue_);
      }
      if (batch_.empty()) return;
      Nan::HandleScope item_scope;
      v8::Local<v8::Value> argv[] = {Nan::New<v8::Number>(static_cast<double>(batch_[next_].seq)),
                                     Nan::New(batch_[next_].text).ToLocalChecked()};
      Nan::TryCatch try_catch;
      // MakeCallback with an async resource: microtasks and process.nextTick callbacks queued by
      // on_item run after it, as after any callback Node makes.
      (void)on_item_.Call(2, argv, &async_resource_);
      if (!try_catch.CanContinue()) return;  // the worker is being terminated: no more JS
      // As the 2011 code did: 'uncaughtException', or the end of the process without a handler.
      if (try_catch.HasCaught()) Nan::FatalException(try_catch);
    }
    uv_async_send(&async_);
  }
  // excerpt-end: drain

  // excerpt-begin: fields
  // Set at construction: main thread.
  Nan::AsyncResource async_resource_{NAME_OF(NODE_GYP_MODULE_NAME)};  // async_hooks' identity
  node::AsyncCleanupHookHandle hook_;
  std::pair<void (*)(void*), void*> done_;  // set by TearDown: Node's callback, its argument

  uv_async_t async_;                   // producer: uv_async_send only; main thread: the rest
  std::atomic<bool> stopping_{false};  // main thread writes, producer reads
  std::mutex mutex_;
  std::condition_variable wake_;  // stop() notifies a producer waiting out its interval
  std::vector<Item> queue_;       // guarded by mutex_: producer pushes, main thread takes

  // Main thread only.
  std::thread producer_;
  std::vector<Item> batch_;  // what the last take took
  size_t next_ = 0;          // the next item of batch_ to deliver
  Nan::Callback on_item_;
  // excerpt-end: fields
};

Stream* Self(const Nan::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<Stream*>(info.Data().As<v8::External>()->Value());
}

NAN_METHOD(StartMethod) { Self(info)->Start(info); }
NAN_METHOD(StopMethod) { Self(info)->Stop(); }

// excerpt-begin: init
// Runs once in every environment that loads the addon. NAN_MODULE_WORKER_ENABLED registers the
// addon as context-aware; with plain NODE_MODULE a worker_thread gets "Module did not
// self-register".
NAN_MODULE_INIT(Init) {
  // Freed by its cleanup hook; the functions find it through their data.
  auto* stream = new Stream();
  const std::string error = stream->Open(v8::Isolate::GetCurrent());
  if (!error.empty()) {
    delete stream;  // not opened: nothing to close
    return Nan::ThrowError(error.c_str());
  }
  v8::Local<v8::External> data = Nan::New<v8::External>(stream);
  Nan::SetMethod(target, "start", StartMethod, data);
  Nan::SetMethod(target, "stop", StopMethod, data);
}

}  // namespace

NAN_MODULE_WORKER_ENABLED(NODE_GYP_MODULE_NAME, Init)
// excerpt-end: init
