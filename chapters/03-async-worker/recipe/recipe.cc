// Chapter 3's recipe: Napi::AsyncProgressQueueWorker. Execute() runs the producer loop on a libuv
// threadpool thread and calls progress.Send() per item; node-addon-api copies the item, wakes the
// main thread and calls OnProgress() there, once per Send(), in order.
// ../texample.cc adds: several producer threads started by Execute, a uv_check watch that stops
// a stream whose producers are idle when its worker_thread is terminated, stats, the callback
// looked up on the module per wake-up, a promise settled by OnOK, and the variants
// (AsyncProgressWorker, nan's AsyncBareProgressQueueWorker).
#include <napi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

// binding.gyp's target_name, which node-gyp defines as NODE_GYP_MODULE_NAME, as a string.
#define STRINGIFY(name) #name
#define NAME_OF(name) STRINGIFY(name)

namespace {

// excerpt-begin: item
// The payload. Made on the threadpool thread; Send() copies it into a new array that
// node-addon-api hands to OnProgress on the main thread and frees after it.
struct Item {
  uint64_t seq;
  std::string text;
};
// excerpt-end: item

// excerpt-begin: deliver
// Main thread: on_item(seq, text), with Node-API's C functions, which report failure as a status
// instead of throwing. A call fails in two cases. The callback threw: the exception is reported as
// 'uncaughtException' (left pending here, Node 20 would swallow it with a DEP0168 warning). Or JS
// can no longer run here (a worker being terminated): then napi_fatal_exception fails too, and
// false says so.
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

// excerpt-begin: control
// One per environment, shared with its streams' workers, which node-addon-api deletes on its own
// schedule: whichever goes last frees it.
struct Gate {
  std::mutex mutex;
  std::condition_variable seen;  // a Send() reached OnProgress, a stop(), or the process exiting
  bool exiting = false;          // guarded by mutex: no Execute may wait for the main thread
};

// What the module and one stream's worker share.
struct Control {
  explicit Control(std::shared_ptr<Gate> g) : gate(std::move(g)) {}
  const std::shared_ptr<Gate> gate;
  std::atomic<bool> over{false};  // main thread writes (stop, no JS, end), Execute reads
  uint64_t seen = 0;              // guarded by gate->mutex: Send()s OnProgress has received
};
// excerpt-end: control

// excerpt-begin: execute
class Stream : public Napi::AsyncProgressQueueWorker<Item> {
 public:
  Stream(Napi::Env env, uint64_t count, double interval_ms, Napi::Function on_item,
         std::shared_ptr<Control> control)
      : AsyncProgressQueueWorker(env, NAME_OF(NODE_GYP_MODULE_NAME)),
        count_(count),
        interval_(interval_ms),
        on_item_(Napi::Persistent(on_item)),
        control_(std::move(control)) {}
  // Main thread, after OnOK: node-addon-api deletes the worker. A new stream may start.
  ~Stream() override { control_->over = true; }

 private:
  // A threadpool thread, for the whole stream: it holds one of libuv's four (by default). Between
  // items it waits interval_ (Sleep, which stop() wakes).
  void Execute(const ExecutionProgress& progress) override {
    uint64_t sent = 0;
    for (; sent < count_ && !control_->over.load(std::memory_order_relaxed); ++sent) {
      if (sent > 0 && interval_.count() > 0 && Sleep()) break;
      const Item item{sent, "item " + std::to_string(sent)};
      progress.Send(&item, 1);  // never blocks: the queue is unbounded
    }
    // Return only once OnProgress has received every Send(). When a worker_thread is terminated,
    // Node finishes this async work before it runs any cleanup hook, and one of those hooks
    // closes the worker's ThreadSafeFunction: node-addon-api then drops each Send() still queued
    // without freeing it. While we wait Node keeps turning the loop, and OnProgress drains it.
    std::unique_lock<std::mutex> lock(control_->gate->mutex);
    control_->gate->seen.wait(lock,
                              [&] { return control_->seen == sent || control_->gate->exiting; });
  }
  // excerpt-end: execute

  // excerpt-begin: on-progress
  // Main thread, once per Send(), in order, inside a callback scope of its own.
  void OnProgress(const Item* items, size_t count) override {
    for (size_t i = 0; i < count && !control_->over; ++i) {
      // No JS any more: the worker_thread is being terminated. Node waits for Execute before it
      // runs cleanup hooks, so no hook could stop it; this does.
      if (!Deliver(Env(), on_item_.Value(), items[i])) control_->over = true;
    }
    std::lock_guard<std::mutex> lock(control_->gate->mutex);
    ++control_->seen;
    control_->gate->seen.notify_all();
  }
  // excerpt-end: on-progress

  // Execute's thread: waits interval_, or less when stop() notifies the gate. True when over.
  bool Sleep() {
    std::unique_lock<std::mutex> lock(control_->gate->mutex);
    return control_->gate->seen.wait_for(lock, interval_, [&] { return control_->over.load(); });
  }

  const uint64_t count_;
  const std::chrono::duration<double, std::milli> interval_;
  Napi::FunctionReference on_item_;  // main thread only
  const std::shared_ptr<Control> control_;
};

// excerpt-begin: stop
// Per environment, freed by Node with it (instance data): no globals.
struct Module {
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::shared_ptr<Control> current;  // the last stream started
};

// Main thread. stop() only raises the flag, under the gate's lock so that an Execute waiting out
// its interval sees it or the notify: Execute returns once OnProgress has seen what it sent,
// dropping it, and node-addon-api then deletes the worker. Nothing to join or close here.
void Stop(const Napi::CallbackInfo& info) {
  Module* module = info.Env().GetInstanceData<Module>();
  if (!module->current) return;
  std::lock_guard<std::mutex> lock(module->gate->mutex);
  module->current->over = true;
  module->gate->seen.notify_all();
}
// excerpt-end: stop

// excerpt-begin: init
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new Module());
  exports["start"] = Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    Module* module = info.Env().GetInstanceData<Module>();
    if (module->current && !module->current->over) {
      throw Napi::Error::New(info.Env(), "a stream is already running");
    }
    module->current = std::make_shared<Control>(module->gate);
    // The queued work keeps the loop alive until the worker is done; node-addon-api deletes it.
    // start(count, intervalMs, onItem), checked by index.js. Queue() throws on a failed status.
    (new Stream(info.Env(), info[0].As<Napi::Number>().Int64Value(),
                info[1].As<Napi::Number>().DoubleValue(), info[2].As<Napi::Function>(),
                module->current))
        ->Queue();
  });
  exports["stop"] = Napi::Function::New(env, Stop);
  // Main thread, from process.on('exit') (index.js): process.exit() joins the threadpool without
  // turning the loop again, so every Execute must return without waiting for OnProgress.
  exports["exiting"] = Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    Stop(info);
    Module* module = info.Env().GetInstanceData<Module>();
    std::lock_guard<std::mutex> lock(module->gate->mutex);
    module->gate->exiting = true;
    module->gate->seen.notify_all();
  });
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
// excerpt-end: init
