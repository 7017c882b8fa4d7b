// Chapter 4: Node-API's thread-safe function, through node-addon-api. Node owns the queue, the
// uv_async_t, the wake-up and the end of the stream; the chapter supplies call_js, the thread
// count, the queue's size and mode, and the order in which a stream is stopped.
// Built twice from this file: `texample`, with Napi::TypedThreadSafeFunction (call_js known at
// compile time, items passed in preallocated slots), and, with TEXAMPLE_UNTYPED defined,
// `texample_untyped`, with Napi::ThreadSafeFunction (a std::function allocated per call, and a
// call_js of our own that frees it even when Node discards the call).
#include <napi.h>
#include <uv.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "item_slots.h"
#include "loop_iteration.h"
#include "producer.h"
#include "stats.h"

namespace {

using texample::Item;

// The counters as the JS object stats() returns. Numbers are exact up to 2^53.
Napi::Object StatsObject(Napi::Env env, const texample::StatsSnapshot& s) {
  Napi::Object stats = Napi::Object::New(env);
  auto set = [&](const char* name, uint64_t value) {
    stats.Set(name, Napi::Number::New(env, static_cast<double>(value)));
  };
  set("sent", s.sent);
  set("delivered", s.delivered);
  set("dropped", s.dropped);
  set("wakeups", s.wakeups);
  set("maxItemsPerWakeup", s.max_items_per_wakeup);
  set("peakQueueDepth", s.peak_queue_depth);
  return stats;
}

// What start() asked for: the common options, and this chapter's two.
struct Options {
  texample::StreamOptions stream;
  size_t queue_size = 0;  // Node's max_queue_size: 0 = unbounded
  bool blocking = true;   // a full queue: BlockingCall waits, NonBlockingCall refuses (a drop)
};

class Texample;

#ifndef TEXAMPLE_UNTYPED
// excerpt-begin: function-type
// call_js, fixed at compile time. Node calls it on the main thread with the pointer a producer
// passed, here a slot holding the item (item_slots.h): no allocation per call.
void CallJsTrampoline(Napi::Env env, Napi::Function unused, Texample* self, Item* slot);
using ThreadSafeFunction = Napi::TypedThreadSafeFunction<Texample, Item, CallJsTrampoline>;
// excerpt-end: function-type
#else
// excerpt-begin: function-type-untyped
// Each call carries a `new` std::function that runs the item's call_js; CallAndFree runs it (when
// Node gives it an env) and deletes it (always).
using ThreadSafeFunction = Napi::ThreadSafeFunction;
using ItemCall = std::function<void(Napi::Env)>;
void CallAndFree(napi_env env, napi_value unused, void* context, void* call);
void FinalizeTrampoline(napi_env env, void* self, void* hint);
// excerpt-end: function-type-untyped
#endif

// excerpt-begin: state
// One per environment (the main thread and each worker_thread that loads the addon), freed by
// the environment's cleanup hook. One ThreadSafeFunction per stream: created by Start(), and
// finalized by Node once the stream has ended, so nothing of a stream outlives it.
class Texample {
 public:
  explicit Texample(Napi::Env env);

  void Start(Napi::Object module, const Options& options, Napi::Function on_done);
  void Stop();
  texample::StatsSnapshot Stats() const;
  void TearDown(napi_async_cleanup_hook_handle hook);

  // The Sink of texample::ProducerGroup: producer threads.
  bool Push(const Item& item);
  void ProducersDone();

  // Main thread: what Node calls through the ThreadSafeFunction.
  void CallJs(Napi::Env env, const Item& item);
  void Finalize(Napi::Env env);
  friend void CallJsTrampoline(Napi::Env env, Napi::Function unused, Texample* self, Item* slot);

 private:
  enum class State { kIdle, kRunning, kStopping };

  ThreadSafeFunction NewFunction(Napi::Env env, size_t queue_size);
  napi_status Call(const Item& item, napi_threadsafe_function_call_mode mode);
  void BeginWakeUp(uint64_t iteration);
  Napi::Function LookUpCallback(Napi::Object module);
  bool ReportException(const Napi::Error& error);
  void Settle(Napi::Env env);

  // Set at construction, read-only after: main thread.
  const Napi::Env env_;
  uv_loop_t* const loop_;

  // Written by the main thread before the producers start, read-only while they run.
  ThreadSafeFunction tsfn_;
  bool blocking_ = true;

  // Used by producer threads and the main thread.
  alignas(64) texample::ItemSlots slots_;  // typed build only: producers fill, main thread takes
  alignas(64) std::mutex one_waiter_;      // held by the producer waiting in BlockingCall
  alignas(64) texample::ProducerGroup<Texample> producers_;  // started, joined by main thread

  // Main thread only; written at every item.
  alignas(64) State state_ = State::kIdle;
  bool stamp_ = false;
  uint64_t called_ = 0;            // items Node handed to CallJs with an env, this stream
  uint64_t wakeup_iteration_ = 0;  // the loop iteration of the current wake-up
  texample::DeliveryCounter counter_;
  Napi::ObjectReference module_;
  Napi::FunctionReference callback_;  // module.callback as read at this wake-up; empty: drop
  Napi::FunctionReference on_done_;
  napi_async_cleanup_hook_handle cleanup_hook_ = nullptr;  // set by TearDown, used by Finalize
};
// excerpt-end: state

// The loop of the environment that `env` belongs to: read by LoopIteration() for the stats only.
// The ThreadSafeFunction finds the loop by itself.
uv_loop_t* EventLoop(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    throw Napi::Error::New(env, "texample: napi_get_uv_event_loop failed");
  }
  return loop;
}

Texample::Texample(Napi::Env env) : env_(env), loop_(EventLoop(env)) {}

// excerpt-begin: start
// Main thread. A new ThreadSafeFunction for every stream: one that was aborted cannot be used
// again. Its handle is referenced from the start (Ref() is the default): a running stream keeps
// the process alive. It is closed at the end of the stream, so a finished one lets it exit.
void Texample::Start(Napi::Object module, const Options& options, Napi::Function on_done) {
  if (state_ != State::kIdle) throw std::runtime_error("the previous stream is still stopping");
  blocking_ = options.blocking;
  stamp_ = options.stream.stamp;
  called_ = 0;
  wakeup_iteration_ = UINT64_MAX;
  counter_.Reset();
  slots_.Reset(options.stream.producers);
  tsfn_ = NewFunction(env_, options.queue_size);
  module_ = Napi::Persistent(module);
  on_done_ = Napi::Persistent(on_done);
  state_ = State::kRunning;
  try {
    producers_.Start(options.stream, this);
  } catch (...) {  // no thread could be created: give back the thread count they would have
    state_ = State::kStopping;
    tsfn_.Release();  // Node then closes the function, and Finalize() settles
    throw;
  }
}
// excerpt-end: start

#ifndef TEXAMPLE_UNTYPED
// excerpt-begin: new-function
// Main thread. initial_thread_count 1: one count for the whole producer group, given back by the
// last producer to finish (ProducersDone). The function closes once the count is zero and the
// queue is empty, or at once on Abort; Node then calls the finalizer on the main thread.
ThreadSafeFunction Texample::NewFunction(Napi::Env env, size_t queue_size) {
  return ThreadSafeFunction::New(env, "texample", queue_size, /*initialThreadCount=*/1, this,
                                 [](Napi::Env env, void*, Texample* self) { self->Finalize(env); });
}
// excerpt-end: new-function
#else
// excerpt-begin: new-untyped
// Main thread. The same, through the C API: ThreadSafeFunction::New always installs
// node-addon-api's own call_js, which returns on a null env without deleting the call's
// std::function, so every call still queued at an abort or a teardown would leak it. The handle
// is then wrapped for Abort() and Release(), which need nothing else.
ThreadSafeFunction Texample::NewFunction(Napi::Env env, size_t queue_size) {
  napi_threadsafe_function function = nullptr;
  const napi_status status = napi_create_threadsafe_function(
      env, /*func=*/nullptr, /*async_resource=*/nullptr, Napi::String::New(env, "texample"),
      queue_size, /*initial_thread_count=*/1, /*thread_finalize_data=*/this, FinalizeTrampoline,
      /*context=*/nullptr, CallAndFree, &function);
  NAPI_THROW_IF_FAILED(env, status, ThreadSafeFunction());
  return ThreadSafeFunction(function);
}

// Main thread, from the function's close callback.
void FinalizeTrampoline(napi_env env, void* self, void*) {
  static_cast<Texample*>(self)->Finalize(Napi::Env(env));
}
// excerpt-end: new-untyped
#endif

// excerpt-begin: producer
// Producer thread. A non-blocking call first: it returns napi_queue_full at once when a bounded
// queue is full. Non-blocking mode counts that as a drop. Blocking mode then waits in
// BlockingCall, one producer at a time: Node wakes a waiting producer with a single
// uv_cond_signal, once per item it takes from a full queue and once on Abort, so a second waiter
// could sleep through both and stop() would wait for it forever (experiments/abort-wakes-one.js).
bool Texample::Push(const Item& item) {
  napi_status status = Call(item, napi_tsfn_nonblocking);
  if (status == napi_queue_full && blocking_) {
    std::lock_guard<std::mutex> only_waiter(one_waiter_);
    status = Call(item, napi_tsfn_blocking);
  }
  return status == napi_ok;  // else napi_queue_full (non-blocking), or an abort's error status
}

// The last producer thread, after its last push: give back the group's thread count. Node closes
// the function once it has called JS for everything queued. After an Abort this returns an error
// status, harmlessly: the function is closing anyway, and is not freed before stop() joins us.
void Texample::ProducersDone() { tsfn_.Release(); }
// excerpt-end: producer

#ifndef TEXAMPLE_UNTYPED
// excerpt-begin: call
// Producer thread. The slot is this producer's until Node queues it; a refused call reuses it.
napi_status Texample::Call(const Item& item, napi_threadsafe_function_call_mode mode) {
  Item* slot = slots_.Fill(item);
  const napi_status status =
      mode == napi_tsfn_blocking ? tsfn_.BlockingCall(slot) : tsfn_.NonBlockingCall(slot);
  if (status == napi_ok) slots_.Commit(item);
  return status;
}
// excerpt-end: call
#else
// excerpt-begin: call-untyped
// Producer thread. A `new std::function` per call, as node-addon-api's own calls make: the lambda
// captures 24 bytes, more than libstdc++'s std::function holds inline (16), so that is two
// allocations per item. Node's queue owns it once the call is accepted; a refused one is freed
// here.
napi_status Texample::Call(const Item& item, napi_threadsafe_function_call_mode mode) {
  auto call = std::make_unique<ItemCall>([this, item](Napi::Env env) { CallJs(env, item); });
  const napi_status status = napi_call_threadsafe_function(tsfn_, call.get(), mode);
  if (status == napi_ok) call.release();
  return status;
}
// excerpt-end: call-untyped
#endif

#ifndef TEXAMPLE_UNTYPED
// excerpt-begin: trampoline
// Main thread, once per item. After an Abort, Node also calls it with a null env for every item
// still queued when the function closes, right after Finalize(): those were counted there, and
// in a teardown `self` is already gone, so this must not touch it.
void CallJsTrampoline(Napi::Env env, Napi::Function, Texample* self, Item* slot) {
  if (env == nullptr) return;
  self->CallJs(env, self->slots_.Take(slot));
}
// excerpt-end: trampoline
#else
// excerpt-begin: call-and-free
// Main thread, once per accepted call. After an Abort, Node also calls it with a null env for
// every call still queued when the function closes, right after Finalize(): then the lambda must
// not run (in a teardown `self` is already gone), but its memory is ours to free. A Napi::Error
// that escapes CallJs is handed to JS, as node-addon-api's own call_js does; none may cross into C.
void CallAndFree(napi_env env, napi_value, void*, void* data) {
  std::unique_ptr<ItemCall> call(static_cast<ItemCall*>(data));
  if (env == nullptr) return;
  try {
    (*call)(Napi::Env(env));
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
  }
}
// excerpt-end: call-and-free
#endif

// excerpt-begin: call-js
// Main thread, once per item, inside a callback scope Node opens for this one item (microtasks
// run after every item, not once per wake-up) and with a HandleScope of its own. Node calls this
// for up to 999 items in a row, then sends itself a new wake-up so that other callbacks get a
// turn. It tells call_js nothing about wake-ups: the loop's iteration count shows where they are.
void Texample::CallJs(Napi::Env env, const Item& item) {
  ++called_;
  const uint64_t iteration = texample::LoopIteration(loop_);
  if (iteration != wakeup_iteration_) BeginWakeUp(iteration);
  if (callback_.IsEmpty()) {
    counter_.Dropped();
    return;
  }
  napi_value argv[] = {Napi::Number::New(env, static_cast<double>(item.value)), nullptr};
  if (stamp_) argv[1] = Napi::Number::New(env, static_cast<double>(item.sent_ns));
  try {
    callback_.Value().Call(module_.Value(), stamp_ ? 2 : 1, argv);
  } catch (const Napi::Error& error) {
    if (!ReportException(error)) {  // the environment is going away: no JS ran
      counter_.Dropped();
      return;
    }
  }
  counter_.Delivered(iteration);
}

// Main thread, at the first item of a wake-up. `callback` is looked up on the module once per
// wake-up, as in the original, so a replacement takes effect from the next wake-up; if it is not
// a function, that wake-up's items are dropped. Node's queue is private; what the producers
// handed over minus what call_js has seen is its length, overstated by at most the calls in
// flight (a producer counts an item as sent before it calls).
void Texample::BeginWakeUp(uint64_t iteration) {
  wakeup_iteration_ = iteration;
  callback_.Reset(LookUpCallback(module_.Value()), 1);
  const uint64_t handed_over = producers_.Sent() - producers_.Refused();
  if (handed_over >= called_) counter_.QueueDepth(handed_over - called_ + 1);
}

// Main thread. Empty when `callback` is not a function; a getter that throws is reported as an
// uncaught exception, like an exception thrown by the callback itself.
Napi::Function Texample::LookUpCallback(Napi::Object module) {
  try {
    Napi::Value callback = module.Get("callback");
    if (callback.IsFunction()) return callback.As<Napi::Function>();
  } catch (const Napi::Error& error) {
    ReportException(error);
  }
  return Napi::Function();
}

// Main thread. Left pending, an exception thrown in call_js is swallowed by Node 20 with a
// deprecation warning (DEP0168) unless node runs with --force-node-api-uncaught-exceptions-policy
// (experiments/uncaught.js). The contract wants 'uncaughtException', so report it here:
// napi_fatal_exception emits it, or ends the process when nothing handles it. Returns false when
// JS can no longer run here (a worker being terminated refuses every call that runs JS).
bool Texample::ReportException(const Napi::Error& error) {
  try {
    return napi_fatal_exception(env_, error.Value()) == napi_ok;
  } catch (const Napi::Error&) {  // even reading the exception failed
    return false;
  }
}
// excerpt-end: call-js

// excerpt-begin: stop
// Main thread. Abort first. It is a Release that also closes: it gives back the group's thread
// count, marks the function closing and wakes the producer waiting in BlockingCall for room in a
// full queue; every call from then on returns an error status (napi_closing while some count is
// left, napi_invalid_arg once none is). Only then join. Joining first would wait for a producer
// that waits for the main thread to make room: a deadlock. The items still queued are dropped:
// Node closes the function on its next turn without calling JS for them. If the producers have
// all finished already, Abort fails (no thread count left) and the queue is delivered as usual.
void Texample::Stop() {
  if (state_ != State::kRunning) return;
  state_ = State::kStopping;
  tsfn_.Abort();
  producers_.StopAndJoin();
}
// excerpt-end: stop

// excerpt-begin: finalize
// Main thread, from the close callback of the function's handle: after the last Release and the
// last item (the stream ended), or after an Abort (stop(), or the environment going away). Node
// hands whatever is still queued to call_js with a null env right after this returns; those
// items are counted as dropped here, while the counters certainly exist.
void Texample::Finalize(Napi::Env env) {
  producers_.StopAndJoin();  // they have finished or were stopped: this only reaps the threads
  counter_.Dropped(producers_.Sent() - producers_.Refused() - called_);
  slots_.Clear();  // no slot is read again: the null-env calls do not look at theirs
  if (cleanup_hook_ != nullptr) {  // the environment is going away: TearDown() ran
    napi_async_cleanup_hook_handle hook = cleanup_hook_;
    delete this;
    napi_remove_async_cleanup_hook(hook);  // tells Node this cleanup has finished
    return;
  }
  Settle(env);
}

// Main thread. Resolves start()'s promise with the final counters, inside the callback scope
// Node opened for the finalizer. The callback may start the next stream (an awaiting caller
// resumes once that scope closes, a direct caller at once), so every member is reset, and the
// references moved out, before JS runs; none is touched after.
void Texample::Settle(Napi::Env env) {
  const texample::StatsSnapshot stats = Stats();
  Napi::FunctionReference on_done = std::move(on_done_);
  module_.Reset();
  callback_.Reset();
  tsfn_ = ThreadSafeFunction();
  state_ = State::kIdle;
  try {
    on_done.Call({StatsObject(env, stats)});
  } catch (const Napi::Error& error) {
    ReportException(error);
  }
}
// excerpt-end: finalize

texample::StatsSnapshot Texample::Stats() const {
  return counter_.Snapshot(producers_.Sent(), producers_.Refused());
}

// excerpt-begin: cleanup
// Main thread of an environment that is going away (a worker terminated, the process exiting
// normally). No JS may run now. Node's own cleanup hook for the function closes it; Abort here
// as well (a no-op once it is closing), so that a producer waiting in BlockingCall returns, and
// join the producers while the function still exists: Node frees it in the close callback that
// follows the hooks (node issues #55706, #65100: threads that touch it later crash). Finalize()
// then completes the teardown without running JS.
void Texample::TearDown(napi_async_cleanup_hook_handle hook) {
  if (state_ != State::kIdle) tsfn_.Abort();
  producers_.StopAndJoin();
  module_.Reset();
  callback_.Reset();
  on_done_.Reset();
  if (state_ == State::kIdle) {
    delete this;
    napi_remove_async_cleanup_hook(hook);
    return;
  }
  cleanup_hook_ = hook;
}
// excerpt-end: cleanup

// --- JS bindings ---------------------------------------------------------------------------

Texample* Self(const Napi::CallbackInfo& info) { return static_cast<Texample*>(info.Data()); }

double NumberField(Napi::Object object, const char* name) {
  return object.Get(name).As<Napi::Number>().DoubleValue();
}

// options were checked by common/options.js and start-options.js; this only converts them. The
// chapter's own options are absent unless given.
Options ToOptions(Napi::Object options) {
  Options out;
  const double count = NumberField(options, "count");
  out.stream.count = std::isinf(count) ? texample::StreamOptions::kForever : uint64_t(count);
  out.stream.period_ns = uint64_t(NumberField(options, "periodNs"));
  out.stream.producers = unsigned(NumberField(options, "producers"));
  out.stream.stamp = options.Get("stamp").ToBoolean().Value();
  if (options.Has("queueSize")) out.queue_size = size_t(NumberField(options, "queueSize"));
  if (options.Has("blocking")) out.blocking = options.Get("blocking").ToBoolean().Value();
  return out;
}

Napi::Value StartMethod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsFunction()) {
    throw Napi::TypeError::New(env, "start(module, options, onDone): wrong arguments");
  }
  try {
    Self(info)->Start(info[0].As<Napi::Object>(), ToOptions(info[1].As<Napi::Object>()),
                      info[2].As<Napi::Function>());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& error) {
    throw Napi::Error::New(env, error.what());
  }
  return env.Undefined();
}

Napi::Value StopMethod(const Napi::CallbackInfo& info) {
  Self(info)->Stop();
  return info.Env().Undefined();
}

Napi::Value StatsMethod(const Napi::CallbackInfo& info) {
  return StatsObject(info.Env(), Self(info)->Stats());
}

void TearDownHook(napi_async_cleanup_hook_handle hook, void* arg) {
  static_cast<Texample*>(arg)->TearDown(hook);
}

// excerpt-begin: init
// Runs once in every environment that loads the addon (Node-API addons are context-aware). The
// hook is asynchronous (napi_add_async_cleanup_hook, NAPI_VERSION 8): Node waits for it to report
// that it has finished, which it does only once the function's handle is closed.
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* self = new Texample(env);
  if (napi_add_async_cleanup_hook(env, TearDownHook, self, nullptr) != napi_ok) {
    Napi::Error::Fatal("texample Init", "napi_add_async_cleanup_hook failed");
  }
  exports.Set("start", Napi::Function::New(env, StartMethod, "start", self));
  exports.Set("stop", Napi::Function::New(env, StopMethod, "stop", self));
  exports.Set("stats", Napi::Function::New(env, StatsMethod, "stats", self));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
// excerpt-end: init
