// Chapter 2: what chapter 1's shim does underneath, without the shim. The environment's libuv
// loop from napi_get_uv_event_loop, one uv_async_t, a mutex-protected queue taken whole per
// wake-up, uv_ref/uv_unref around a stream, and uv_close with a close callback before the memory
// goes. Written with node-addon-api.
#include <napi.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "block_list.h"
#include "locked_queue.h"
#include "loop_iteration.h"
#include "producer.h"
#include "stats.h"
#include "stats_object.h"

namespace {

using texample::Item;
using Items = texample::BlockList<Item>;  // what a take holds (common/block_list.h)
using texample::StatsObject;

// excerpt-begin: state
// One per environment (the main thread and each worker_thread that loads the addon). Its
// uv_async_t lives as long as the environment: opened when the addon loads, referenced only while
// a stream runs, closed by the environment's cleanup hook, which frees this object once libuv is
// done with the handle.
class Texample {
 public:
  enum class DrainMode { kAll, kOne };

  explicit Texample(Napi::Env env);

  void Start(Napi::Object module, const texample::StreamOptions& options, DrainMode drain,
             uint64_t turn_budget, Napi::Function on_done);
  void Stop();
  texample::StatsSnapshot Stats() const;
  void TearDown(napi_async_cleanup_hook_handle hook);

  // The Sink of texample::ProducerGroup: producer threads.
  bool Push(const Item& item);
  void ProducersDone();

 private:
  enum class State { kIdle, kRunning, kStopping };

  static void OnWakeUp(uv_async_t* async);
  static void OnClosed(uv_handle_t* handle);
  uv_handle_t* Handle() { return reinterpret_cast<uv_handle_t*>(&async_); }
  void Drain();
  void KeepOne(Items& batch);
  void Deliver(size_t end);
  Napi::Function LookUpCallback(Napi::Object module);
  void CallEach(Napi::Object module, Napi::Function callback, size_t end);
  bool ReportException(const Napi::Error& error);
  void End();
  void Settle();

  // Set at construction, read-only after: main thread.
  const Napi::Env env_;
  uv_loop_t* const loop_;
  const texample::LoopIterations iterations_;  // for the stats only

  // Written by producer threads and by the main thread. Each starts a cache line of its own, so
  // that a push does not evict the main thread's fields below, nor a delivery the producers'.
  alignas(64) uv_async_t async_;  // producers: uv_async_send only; main thread: everything else
  alignas(64) texample::LockedQueue<Item> queue_;            // producers push, main thread takes
  alignas(64) texample::ProducerGroup<Texample> producers_;  // started, joined by the main thread

  // Main thread only; written at every delivery.
  alignas(64) State state_ = State::kIdle;
  DrainMode drain_ = DrainMode::kAll;
  bool stamp_ = false;
  Items batch_;      // the latest take, reused across wake-ups
  size_t next_ = 0;  // batch_[next_] is delivered next; batch_.size(): all delivered
  uint64_t turn_budget_ = UINT64_MAX;  // items one wake-up may deliver (turnBudget)
  std::deque<Item> backlog_;  // drain 'one' only: items taken from the queue, not delivered yet
  texample::DeliveryCounter counter_;
  Napi::ObjectReference module_;
  Napi::FunctionReference on_done_;
  std::optional<Napi::AsyncContext> async_context_;
  std::string failure_;  // why the stream was cut short (a thread not created), or empty
  napi_async_cleanup_hook_handle cleanup_hook_ = nullptr;  // set by TearDown, used by OnClosed
};
// excerpt-end: state

// excerpt-begin: loop
// The loop of the environment that `env` belongs to: the main thread's, or a worker_thread's own.
// Chapter 1 took it from node::GetCurrentEventLoop() and hid it behind the shim's EV_DEFAULT.
uv_loop_t* EventLoop(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    throw Napi::Error::New(env, "texample: napi_get_uv_event_loop failed");
  }
  return loop;
}

// Main thread, when the addon loads in an environment. A new uv_async_t is active and referenced:
// left so, it would keep this loop, and so the process or the worker, alive for good. Unreferenced
// it still wakes the loop, but does not count as a reason to keep it running; Start() references
// it for the length of a stream, Settle() unreferences it again.
Texample::Texample(Napi::Env env) : env_(env), loop_(EventLoop(env)), iterations_(env) {
  const int error = uv_async_init(loop_, &async_, OnWakeUp);
  if (error != 0) throw Napi::Error::New(env, uv_strerror(error));
  async_.data = this;
  uv_unref(Handle());
}
// excerpt-end: loop

// excerpt-begin: producer
// Producer thread. uv_async_send is safe from any thread and coalesces, so one send per item is
// correct, and cheap: while a wake-up is pending it only reads the handle's pending flag, and the
// eventfd is written once per wake-up. A send that finds the flag set does nothing: the wake-up
// that the flag stands for has not started. libuv clears the flag before it calls OnWakeUp, which
// then takes the queue under its mutex; had that take come before this push, the clearing would
// have come before this send, which would have seen the flag clear. So that take holds this item.
bool Texample::Push(const Item& item) {
  queue_.Push(item);
  uv_async_send(&async_);
  return true;
}

// The last producer thread, after its last push: wake the main thread so it sees the end. No
// mutex orders this send against Drain's reading of AllDone(), and no libuv a Node here ships
// (1.46 to 1.52.1) orders a send by itself, so a fence pair does: either that read sees the
// producers done, or this send sees the flag clear. ProducerGroup already issues the pair
// (Finish() fences before calling this, AllDone() before its load); this fence and Drain's repeat
// it, once per stream and once per wake-up. A sink with a done signal of its own needs one pair.
void Texample::ProducersDone() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uv_async_send(&async_);
}
// excerpt-end: producer

// excerpt-begin: callback
// Main thread, once per wake-up however many sends coalesced into it. libuv clears the handle's
// pending flag before it calls this, so a send that reads the clearing gives another call. One
// that still reads the old 1 gives none: its item is not missed only because the queue's mutex
// orders it (Push, above), and the end of the stream only because of the fence pair
// (ProducersDone). Nothing may be thrown into libuv, hence the catch.
void Texample::OnWakeUp(uv_async_t* async) {
  Texample* self = static_cast<Texample*>(async->data);
  try {
    self->Drain();
  } catch (const Napi::Error& error) {  // a Node-API call failed outside the callback
    self->ReportException(error);
  }
}

// A new take only once the previous one is delivered, and at most turn_budget_ items of it per
// wake-up: a producer faster than JS would otherwise keep one wake-up going for as long as the
// flood lasts, and no timer or I/O callback would run meanwhile. The rest waits for a send to
// ourselves. libuv has cleared the handle's pending flag before this callback and does not look
// at the handle again in this pass (uv__async_io), so the send lands in the next loop iteration:
// after this iteration's check phase (setImmediate) and its timers (libuv >= 1.45 runs them at
// the end of an iteration, older ones at the start of the next), in a poll phase that also
// delivers every I/O event ready by then. A wake-up that took nothing new (it finished an older
// take) sends too: the sends that coalesced into it may stand for items it has not taken.
void Texample::Drain() {
  if (state_ == State::kIdle) return;  // a wake-up left over from a stream that has ended
  const bool took = drain_ == DrainMode::kOne || next_ == batch_.size();
  bool producers_done = false;
  if (took) {
    // Read "all done" before taking: a producer's last push happens before it reports done, so
    // if they were all done then, this take holds the very last item. libuv cleared the pending
    // flag just before calling us; AllDone() fences before its load, pairing with
    // ProducerGroup's Finish(), and this fence repeats it (see ProducersDone).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    producers_done = producers_.AllDone();
    queue_.TakeAll(batch_);
    next_ = 0;
    if (drain_ == DrainMode::kOne) KeepOne(batch_);
    counter_.QueueDepth(batch_.size() + backlog_.size());
  }
  Deliver(next_ + std::min<uint64_t>(batch_.size() - next_, turn_budget_));
  if (next_ < batch_.size() || !took) {
    uv_async_send(&async_);  // the rest in the next loop iteration
    return;
  }
  // With drain 'one' the backlog may still hold items, and nothing will send again to fetch
  // them: the stream then waits for stop(), which drops them.
  if (producers_done && (backlog_.empty() || state_ == State::kStopping)) End();
}
// excerpt-end: callback

// excerpt-begin: drain-one
// drain: 'one', the 2011 original's bug kept as a teaching switch. What arrived joins the backlog
// (the original's std::queue) and `batch` keeps only the oldest item: one item per wake-up,
// however many sends coalesced into it.
void Texample::KeepOne(Items& batch) {
  for (size_t k = 0; k < batch.size(); ++k) backlog_.push_back(batch[k]);
  batch.clear();
  if (backlog_.empty()) return;
  batch.push_back(backlog_.front());
  backlog_.pop_front();
}
// excerpt-end: drain-one

// excerpt-begin: deliver
// Main thread. One callback scope per wake-up (Napi::CallbackScope, napi_open_callback_scope):
// microtasks and process.nextTick callbacks queued by the callback run once it closes, as after
// any other I/O callback. Delivers batch_[next_ … end). `callback` is looked up on the module at
// every wake-up, as in the original, so a replacement takes effect from the next wake-up; if it
// is not a function, the items are dropped.
void Texample::Deliver(size_t end) {
  if (next_ == end) return;
  Napi::HandleScope scope(env_);
  Napi::CallbackScope callback_scope(env_, *async_context_);
  Napi::Object module = module_.Value();
  Napi::Function callback = LookUpCallback(module);
  if (callback.IsEmpty()) {
    counter_.Dropped(end - next_);
    next_ = end;
    return;
  }
  CallEach(module, callback, end);
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

// Main thread. A HandleScope per item keeps handles from piling up over a large batch. An
// exception thrown by the callback is reported as 'uncaughtException', as the original did; if
// the process survives it, delivery goes on with the next item. Once JS cannot run here, the
// rest of the take is dropped at once.
void Texample::CallEach(Napi::Object module, Napi::Function callback, size_t end) {
  const uint64_t iteration = iterations_.Current();
  while (next_ < end) {
    const Item& item = batch_[next_++];
    Napi::HandleScope item_scope(env_);
    const napi_value argv[] = {Napi::Number::New(env_, static_cast<double>(item.value)),
                               Napi::Number::New(env_, static_cast<double>(item.sent_ns))};
    try {
      callback.Call(module, stamp_ ? 2 : 1, argv);
    } catch (const Napi::Error& error) {
      if (!ReportException(error)) {  // the environment is going away: no more JS
        counter_.Dropped(batch_.size() - next_ + 1);
        next_ = batch_.size();
        return;
      }
    }
    counter_.Delivered(iteration);
  }
}

// Main thread. Hands a JS exception to napi_fatal_exception, which emits 'uncaughtException' or
// ends the process. Returns false when JS can no longer run here: once a worker is being
// terminated, Node-API refuses every call that would run JS, napi_fatal_exception included.
bool Texample::ReportException(const Napi::Error& error) {
  try {
    Napi::HandleScope scope(env_);  // the caller's may be gone: it may catch outside its scope
    return napi_fatal_exception(env_, error.Value()) == napi_ok;
  } catch (const Napi::Error&) {  // even reading the exception failed
    return false;
  }
}
// excerpt-end: deliver

// excerpt-begin: start
// Main thread. The original started its watcher and thread once and never stopped them; here a
// stream starts, ends and can start again, and only a running stream holds the loop. A producer
// thread that cannot be created cuts the stream short: it ends as on stop(), and start()'s
// promise then rejects with the reason.
void Texample::Start(Napi::Object module, const texample::StreamOptions& options, DrainMode drain,
                     uint64_t turn_budget, Napi::Function on_done) {
  if (state_ != State::kIdle) throw std::runtime_error("the previous stream is still stopping");
  module_ = Napi::Persistent(module);
  on_done_ = Napi::Persistent(on_done);
  async_context_.emplace(env_, "texample");
  drain_ = drain;
  turn_budget_ = drain == DrainMode::kOne ? UINT64_MAX : turn_budget;  // 'one' takes one anyway
  batch_.clear();
  next_ = 0;
  stamp_ = options.stamp;
  counter_.Reset();
  uv_ref(Handle());  // keeps the process alive while the stream runs
  state_ = State::kRunning;
  failure_ = producers_.Start(options, this);
  if (!failure_.empty()) Stop();
}
// excerpt-end: start

// excerpt-begin: stop
// Main thread. Joins the producers (a sleeping one is woken), then sends once more so that the
// next wake-up takes whatever is still queued and ends the stream: drain 'all' delivers it, it
// never drops on stop; drain 'one' delivers one item and drops the stranded rest.
void Texample::Stop() {
  if (state_ != State::kRunning) return;
  state_ = State::kStopping;
  producers_.StopAndJoin();
  uv_async_send(&async_);
}

// Main thread: the producers have finished and every item is delivered or dropped.
void Texample::End() {
  producers_.StopAndJoin();           // they have finished; this only reaps the threads
  counter_.Dropped(backlog_.size());  // drain 'one', stopped: the items that stayed stranded
  backlog_.clear();
  Settle();
}

// Main thread. Resolves start()'s promise with the final counters. The handle stays open for the
// next stream but is unreferenced, so an idle module does not keep the loop alive. The callback
// may start the next stream at once (an awaiting caller resumes inside it), so every member is
// reset, and the references moved out, before JS runs; none is touched after.
void Texample::Settle() {
  const texample::StatsSnapshot stats = Stats();
  Napi::AsyncContext context = std::move(*async_context_);
  async_context_.reset();
  Napi::ObjectReference module = std::move(module_);
  Napi::FunctionReference on_done = std::move(on_done_);
  const std::string failure = std::move(failure_);
  failure_.clear();
  state_ = State::kIdle;
  uv_unref(Handle());
  try {
    Napi::HandleScope scope(env_);
    std::vector<napi_value> args{StatsObject(env_, stats)};
    if (!failure.empty()) args.push_back(Napi::String::New(env_, failure));
    on_done.MakeCallback(module.Value(), args, context);
  } catch (const Napi::Error& error) {
    ReportException(error);
  }
}  // `context` is destroyed here (napi_async_destroy), after the callback that used it
// excerpt-end: stop

texample::StatsSnapshot Texample::Stats() const {
  return counter_.Snapshot(producers_.Sent(), producers_.Refused());
}

// excerpt-begin: cleanup
// Main thread of an environment that is going away (a worker terminated, the process exiting
// normally): an asynchronous cleanup hook, because closing a handle is asynchronous. No JS may
// run now: stop and join the producers (a send reads the handle, so none may follow the close),
// drop what is queued, release the references, and close the handle.
void Texample::TearDown(napi_async_cleanup_hook_handle hook) {
  producers_.StopAndJoin();
  counter_.Dropped(batch_.size() - next_);  // taken, not delivered yet
  queue_.TakeAll(batch_);
  next_ = batch_.size();
  counter_.Dropped(batch_.size() + backlog_.size());
  backlog_.clear();
  module_.Reset();
  on_done_.Reset();
  async_context_.reset();
  cleanup_hook_ = hook;
  uv_close(Handle(), OnClosed);
}

// Main thread, once libuv has finished with the handle: only now may its memory go. Removing the
// hook tells Node that this cleanup has finished, so that it can go on and free the loop.
void Texample::OnClosed(uv_handle_t* handle) {
  Texample* self = static_cast<Texample*>(handle->data);
  napi_async_cleanup_hook_handle hook = self->cleanup_hook_;
  delete self;
  texample::FinishAsyncCleanup(hook);
}
// excerpt-end: cleanup

// --- JS bindings ---------------------------------------------------------------------------

Texample* Self(const Napi::CallbackInfo& info) { return static_cast<Texample*>(info.Data()); }

double NumberField(Napi::Object object, const char* name) {
  return object.Get(name).As<Napi::Number>().DoubleValue();
}

// options were checked by common/options.js and index.js; this only converts them.
texample::StreamOptions ToStreamOptions(Napi::Object options) {
  texample::StreamOptions out;
  const double count = NumberField(options, "count");
  out.count = std::isinf(count) ? texample::StreamOptions::kForever : uint64_t(count);
  out.period_ns = uint64_t(NumberField(options, "periodNs"));
  out.producers = unsigned(NumberField(options, "producers"));
  out.stamp = options.Get("stamp").ToBoolean().Value();
  return out;
}

// turnBudget is always there (common/turn-budget.js): 0 stands for Infinity, no budget.
uint64_t ToTurnBudget(Napi::Object options) {
  const double budget = NumberField(options, "turnBudget");
  return budget == 0 ? UINT64_MAX : uint64_t(budget);
}

Texample::DrainMode ToDrainMode(Napi::Object options) {
  Napi::Value drain = options.Get("drain");  // undefined unless given: 'all'
  const bool one = drain.IsString() && drain.As<Napi::String>().Utf8Value() == "one";
  return one ? Texample::DrainMode::kOne : Texample::DrainMode::kAll;
}

Napi::Value StartMethod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsFunction()) {
    throw Napi::TypeError::New(env, "start(module, options, onDone): wrong arguments");
  }
  Napi::Object options = info[1].As<Napi::Object>();
  try {
    Self(info)->Start(info[0].As<Napi::Object>(), ToStreamOptions(options), ToDrainMode(options),
                      ToTurnBudget(options), info[2].As<Napi::Function>());
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
// that it has finished, which it does only once the handle is closed.
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

NODE_API_MODULE(texample, Init)
// excerpt-end: init
