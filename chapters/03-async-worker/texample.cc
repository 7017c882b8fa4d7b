// Chapter 3: the AsyncWorker family. A stream is one Napi::AsyncProgressQueueWorker: its
// Execute() runs on a libuv threadpool thread for the whole stream, starts the producers and waits
// for them; every item they Send() reaches OnProgress() on the main thread; OnOK() settles the
// stream once the last item has been delivered. Written with node-addon-api.
#include <napi.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

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

// excerpt-begin: js-outcome
// Main thread. Node-API fails a call that may run JS with napi_pending_exception in two cases: JS
// threw (an exception is now pending), or this environment can no longer run JS at all (its
// worker is being terminated, the process is exiting) and nothing is pending. Only the C status
// tells them apart, so the calls into JS below use the C API and this, not node-addon-api's
// throwing wrappers: the first case is the callback's error to report, the second means stop.
enum class JsOutcome { kOk, kThrew, kEnvironmentGone };

JsOutcome Outcome(napi_env env, napi_status status) {
  if (status == napi_ok) return JsOutcome::kOk;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  return pending ? JsOutcome::kThrew : JsOutcome::kEnvironmentGone;
}

// Main thread, after JsOutcome::kThrew: the exception becomes 'uncaughtException', as in the
// original. Node-API would swallow it (DEP0168): OnProgress runs in a ThreadSafeFunction call.
void ReportUncaught(napi_env env) {
  napi_value error;
  if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
}
// excerpt-end: js-outcome

class Texample;

// excerpt-begin: stream
// One stream: the worker node-addon-api runs on the threadpool. Its Execute() holds a threadpool
// thread from start() to the end of the stream. node-addon-api deletes it after OnOK()/OnError().
class Stream : public Napi::AsyncProgressQueueWorker<Item> {
 public:
  Stream(Texample* owner, Napi::Function on_done, const texample::StreamOptions& options);
  ~Stream() override;

  void RequestStop();   // any thread
  void AbandonQueue();  // main thread
  uint64_t Sent();      // any thread; exact once Execute has returned
  uint64_t Refused();

  // The Sink of texample::ProducerGroup: producer threads.
  bool Push(const Item& item);
  void ProducersDone();

 private:
  // A threadpool thread.
  void Execute(const ExecutionProgress& progress) override;
  // Main thread: once per Send(); after the last one, OnOK, or OnError if Execute threw.
  void OnProgress(const Item* items, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;
  void WaitUntilAllSeen();

  Texample* const owner_;  // outlives the stream: its teardown waits for ~Stream
  const texample::StreamOptions options_;
  // Written by Execute before the producers start (creating a thread orders it before their reads).
  const ExecutionProgress* progress_ = nullptr;
  texample::ProducerGroup<Stream> producers_;  // started and joined by the Execute thread

  std::mutex mutex_;
  std::condition_variable producers_done_cv_;
  bool stop_requested_ = false;     // guarded by mutex_
  bool producers_started_ = false;  // guarded by mutex_
  bool producers_done_ = false;     // guarded by mutex_
  bool queue_abandoned_ = false;    // guarded by mutex_

  // Every Send() OnProgress has received, and, once the producers are joined, how many there were.
  static constexpr uint64_t kNotYetKnown = UINT64_MAX;
  std::atomic<uint64_t> sends_seen_{0};             // written by the main thread
  std::atomic<uint64_t> sends_made_{kNotYetKnown};  // written by the Execute thread
  std::condition_variable all_seen_cv_;             // waited on under mutex_
};
// excerpt-end: stream

// excerpt-begin: state
// One per environment (the main thread and each worker_thread that loads the addon), freed by
// the environment's cleanup hook once its last stream and handle are gone.
class Texample {
 public:
  explicit Texample(Napi::Env env);

  void Start(Napi::Object module, const texample::StreamOptions& options, Napi::Function on_done);
  void Stop();
  void ProcessExiting();
  texample::StatsSnapshot Stats();
  void TearDown(napi_async_cleanup_hook_handle hook);

  // Called by the stream on the main thread.
  void Deliver(const Item* items, size_t count);
  void Settle(Stream* stream, Napi::Function on_done);
  void StreamDestroyed();

 private:
  enum class State { kIdle, kRunning, kClosing };

  JsOutcome LookUpCallback(napi_value module, napi_value* callback);
  void CallEach(napi_value module, napi_value callback, const Item* items, size_t count);
  void StartWatch();
  void CloseWatch();
  static void Watch(uv_check_t* watch);
  static void WatchClosed(uv_handle_t* watch);
  void EnvironmentGone();
  void FinishTearDownIfDone();

  // Set at construction, read-only after.
  const Napi::Env env_;
  uv_loop_t* loop_ = nullptr;
  Napi::FunctionReference no_op_;  // a native function the watch calls to probe the environment

  // Main thread only.
  State state_ = State::kIdle;
  Stream* stream_ = nullptr;     // the running stream; node-addon-api owns it
  uv_check_t* watch_ = nullptr;  // the running stream's watch; freed once closed
  int live_streams_ = 0;         // created and not yet destroyed
  int open_watches_ = 0;         // started and not yet closed
  bool stamp_ = false;
  bool environment_gone_ = false;  // no JS may run any more
  texample::DeliveryCounter counter_;
  uint64_t sent_ = 0;  // of the last stream, once it has settled
  uint64_t refused_ = 0;
  Napi::ObjectReference module_;
  napi_async_cleanup_hook_handle teardown_hook_ = nullptr;  // set while the teardown waits
};
// excerpt-end: state

Texample::Texample(Napi::Env env) : env_(env) {
  if (napi_get_uv_event_loop(env, &loop_) != napi_ok) throw std::runtime_error("no event loop");
  no_op_ = Napi::Persistent(Napi::Function::New(env, [](const Napi::CallbackInfo&) {}));
}

Stream::Stream(Texample* owner, Napi::Function on_done, const texample::StreamOptions& options)
    : Napi::AsyncProgressQueueWorker<Item>(on_done, "texample"), owner_(owner), options_(options) {}

Stream::~Stream() { owner_->StreamDestroyed(); }

// excerpt-begin: execute
// A threadpool thread, for the whole stream. The producers are started and joined here, by the
// same thread. A stop() that arrives before they start is remembered, so it is never lost.
void Stream::Execute(const ExecutionProgress& progress) {
  progress_ = &progress;
  std::unique_lock<std::mutex> lock(mutex_);
  if (stop_requested_) return;       // stopped before it started: nothing was sent
  producers_.Start(options_, this);  // throws if no thread can be created: OnError follows
  producers_started_ = true;
  producers_done_cv_.wait(lock, [this] { return producers_done_; });
  lock.unlock();
  producers_.StopAndJoin();  // they have finished; this only reaps the threads
  WaitUntilAllSeen();
}

// The Execute thread, once the producers are joined: returns when OnProgress has received every
// Send(). Node finishes this async work before it runs an environment's cleanup hooks, and one of
// them closes the worker's ThreadSafeFunction: a Send() still queued then goes to node-addon-api's
// call_js with a null env, which returns without freeing the four blocks Send() allocated. While
// we wait, Node keeps turning the loop and the queue drains (delivered, or dropped once the
// environment is going away), so nothing is left to leak. Both counters are seq_cst: we store
// sends_made_ and then read sends_seen_, OnProgress adds to sends_seen_ and then reads
// sends_made_, so at least one side sees the other's write, and the wake-up cannot be missed.
void Stream::WaitUntilAllSeen() {
  const uint64_t sends = producers_.Sent();  // one Send() per item
  sends_made_.store(sends);
  std::unique_lock<std::mutex> lock(mutex_);
  all_seen_cv_.wait(lock, [&] { return queue_abandoned_ || sends_seen_.load() >= sends; });
}

// Any thread. Producers stop before their next item; Execute returns once the queue is drained.
void Stream::RequestStop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_requested_ = true;
  if (producers_started_) producers_.RequestStop();
}

uint64_t Stream::Sent() {
  std::lock_guard<std::mutex> lock(mutex_);  // Start() replaces the counters under this lock
  return producers_started_ ? producers_.Sent() : 0;
}

uint64_t Stream::Refused() {
  std::lock_guard<std::mutex> lock(mutex_);
  return producers_started_ ? producers_.Refused() : 0;
}
// excerpt-end: execute

// excerpt-begin: producer
// Producer thread. Send() is safe from any thread, not only Execute's: it copies the item into a
// new array and queues it on the worker's ThreadSafeFunction (napi_call_threadsafe_function, whose
// queue this class makes unbounded), which wakes the main thread. It never blocks and never
// refuses while the stream runs. progress_ is valid until Execute returns, which is after every
// producer has been joined.
bool Stream::Push(const Item& item) {
  progress_->Send(&item, 1);
  return true;
}

// The last producer thread, after its last push: Execute may return.
void Stream::ProducersDone() {
  std::lock_guard<std::mutex> lock(mutex_);
  producers_done_ = true;
  producers_done_cv_.notify_one();
}
// excerpt-end: producer

// excerpt-begin: progress
// Main thread, once per Send(), in order. The ThreadSafeFunction under the worker calls this
// inside its own callback scope, one per item, so microtasks run after every item. The last
// Send() wakes Execute, which waits for it (WaitUntilAllSeen); the lock orders the wake-up after
// its check.
void Stream::OnProgress(const Item* items, size_t count) {
  owner_->Deliver(items, count);
  if (sends_seen_.fetch_add(1) + 1 < sends_made_.load()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  all_seen_cv_.notify_one();
}

// Main thread. node-addon-api calls OnOK only after the ThreadSafeFunction has delivered every
// queued Send() and closed: the last item was delivered (or dropped) before this runs.
void Stream::OnOK() { owner_->Settle(this, Callback().Value()); }

// Main thread, instead of OnOK, when Execute threw (no producer thread could be created).
void Stream::OnError(const Napi::Error& error) {
  napi_env env = Env();
  napi_value value = error.Value();
  owner_->Settle(this, Callback().Value());
  napi_fatal_exception(env, value);  // there is no other channel: start() has returned
}
// excerpt-end: progress

// excerpt-begin: deliver
// Main thread. `callback` is looked up on the module at every wake-up, as in the original; here
// every OnProgress is a wake-up of its own. Not a function: the items are dropped.
void Texample::Deliver(const Item* items, size_t count) {
  if (environment_gone_) {
    counter_.Dropped(count);
    return;
  }
  Napi::HandleScope scope(env_);
  napi_value module = module_.Value();
  napi_value callback = nullptr;
  const JsOutcome found = LookUpCallback(module, &callback);
  if (found == JsOutcome::kThrew) ReportUncaught(env_);  // a getter threw
  if (callback == nullptr) {
    counter_.Dropped(count);
    if (found == JsOutcome::kEnvironmentGone) EnvironmentGone();
    return;
  }
  CallEach(module, callback, items, count);
}

// Main thread. `callback` stays null when module.callback is not a function.
JsOutcome Texample::LookUpCallback(napi_value module, napi_value* callback) {
  napi_value value;
  const JsOutcome outcome =
      Outcome(env_, napi_get_named_property(env_, module, "callback", &value));
  if (outcome != JsOutcome::kOk) return outcome;
  napi_valuetype type;
  if (napi_typeof(env_, value, &type) == napi_ok && type == napi_function) *callback = value;
  return JsOutcome::kOk;
}

// Main thread. An exception thrown by the callback is reported as 'uncaughtException'; if the
// process survives it, delivery goes on with the next item.
void Texample::CallEach(napi_value module, napi_value callback, const Item* items, size_t count) {
  const uint64_t iteration = texample::LoopIteration(loop_);
  for (size_t i = 0; i < count; ++i) {
    Napi::HandleScope item_scope(env_);
    napi_value argv[] = {Napi::Number::New(env_, static_cast<double>(items[i].value)),
                         Napi::Number::New(env_, static_cast<double>(items[i].sent_ns))};
    napi_value ignored;
    const JsOutcome outcome =
        Outcome(env_, napi_call_function(env_, module, callback, stamp_ ? 2 : 1, argv, &ignored));
    if (outcome == JsOutcome::kEnvironmentGone) {
      counter_.Dropped(count - i);
      return EnvironmentGone();
    }
    counter_.Delivered(iteration);
    if (outcome == JsOutcome::kThrew) ReportUncaught(env_);
  }
}
// excerpt-end: deliver

// excerpt-begin: start
// Main thread. Queues the stream's worker: a threadpool thread picks it up and runs Execute.
void Texample::Start(Napi::Object module, const texample::StreamOptions& options,
                     Napi::Function on_done) {
  if (state_ != State::kIdle) throw Napi::Error::New(env_, "the previous stream is still closing");
  module_ = Napi::Persistent(module);
  stamp_ = options.stamp;
  counter_.Reset();
  sent_ = refused_ = 0;
  stream_ = new Stream(this, on_done, options);  // deleted by node-addon-api after OnOK
  ++live_streams_;
  stream_->Queue();  // the worker's request and ThreadSafeFunction keep the process alive
  StartWatch();
  state_ = State::kRunning;
}
// excerpt-end: start

// excerpt-begin: watch
// Main thread. Node runs a Node-API async work to completion before it calls the environment's
// cleanup hooks, so a terminated worker would wait for an Execute that waits for producers that
// only a cleanup hook would stop. Something else must stop them: a check handle that, once per
// loop iteration while the stream runs, calls a native no-op through Node-API. From the moment
// Node starts stopping the environment such calls fail with nothing pending.
void Texample::StartWatch() {
  watch_ = new uv_check_t;
  uv_check_init(loop_, watch_);
  watch_->data = this;
  uv_check_start(watch_, Watch);
  uv_unref(reinterpret_cast<uv_handle_t*>(watch_));  // the stream's own request keeps us alive
  ++open_watches_;
}

void Texample::Watch(uv_check_t* watch) {
  Texample* self = static_cast<Texample*>(watch->data);
  if (self->environment_gone_) return;
  Napi::HandleScope scope(self->env_);
  napi_value ignored;
  const napi_status status = napi_call_function(self->env_, self->env_.Undefined(),
                                                self->no_op_.Value(), 0, nullptr, &ignored);
  if (Outcome(self->env_, status) == JsOutcome::kOk) return;
  napi_get_and_clear_last_exception(self->env_, &ignored);  // a termination, if anything
  self->EnvironmentGone();
}

// Main thread. No JS may run any more: stop the producers, so that Execute returns and Node can
// go on tearing the environment down; what is still queued is dropped.
void Texample::EnvironmentGone() {
  environment_gone_ = true;
  if (state_ == State::kRunning) Stop();
}
// excerpt-end: watch

// excerpt-begin: stop
// Main thread. Asks the producers to stop; Execute joins them and returns. Everything already
// sent is still delivered, before OnOK: this chapter delivers on stop, it never drops.
void Texample::Stop() {
  if (state_ != State::kRunning) return;
  state_ = State::kClosing;
  stream_->RequestStop();
}

// Main thread, from OnOK: resolves start()'s promise with the final counters. The callback may
// start the next stream at once, so every member is reset before JS runs and none is touched
// after.
void Texample::Settle(Stream* stream, Napi::Function on_done) {
  sent_ = stream->Sent();  // exact: Execute has joined the producers
  refused_ = stream->Refused();
  CloseWatch();
  module_.Reset();
  stream_ = nullptr;
  state_ = State::kIdle;
  if (environment_gone_) return;  // nobody is waiting any more
  Napi::HandleScope scope(env_);
  napi_value argv[] = {StatsObject(env_, Stats())};
  napi_value ignored;
  const napi_status status = napi_call_function(env_, env_.Undefined(), on_done, 1, argv, &ignored);
  if (Outcome(env_, status) == JsOutcome::kThrew) ReportUncaught(env_);
}

// Main thread. The watch's memory lives until libuv has closed it.
void Texample::CloseWatch() {
  uv_close(reinterpret_cast<uv_handle_t*>(watch_), WatchClosed);
  watch_ = nullptr;
}
// excerpt-end: stop

// excerpt-begin: process-exiting
// Main thread, on the main thread's 'exit' (index.js). process.exit() joins the threadpool's
// threads without turning the loop again, so Execute must return without waiting for the queue.
void Texample::ProcessExiting() {
  Stop();
  if (stream_ != nullptr) stream_->AbandonQueue();
}

// Main thread. Nothing queued will be seen now; it stays in Node's queue, still reachable, until
// the process is gone.
void Stream::AbandonQueue() {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_abandoned_ = true;
  all_seen_cv_.notify_one();
}
// excerpt-end: process-exiting

texample::StatsSnapshot Texample::Stats() {
  if (stream_ != nullptr) return counter_.Snapshot(stream_->Sent(), stream_->Refused());
  return counter_.Snapshot(sent_, refused_);
}

// excerpt-begin: cleanup
// Main thread of an environment that is going away (a worker terminated, the process exiting
// normally). With Node-API, Node has already run the stream's async work to completion before it
// calls cleanup hooks, so Execute has returned; the worker may still be dropping its queue and
// closing its ThreadSafeFunction. Tell Node we are done once the stream and its watch are gone.
void Texample::TearDown(napi_async_cleanup_hook_handle hook) {
  environment_gone_ = true;
  module_.Reset();
  no_op_.Reset();
  if (state_ == State::kRunning) Stop();
  teardown_hook_ = hook;
  FinishTearDownIfDone();
}

// Main thread, from ~Stream: node-addon-api has closed the stream's ThreadSafeFunction.
void Texample::StreamDestroyed() {
  --live_streams_;
  FinishTearDownIfDone();
}

// Main thread, once libuv has closed a watch.
void Texample::WatchClosed(uv_handle_t* watch) {
  Texample* self = static_cast<Texample*>(watch->data);
  delete reinterpret_cast<uv_check_t*>(watch);
  --self->open_watches_;
  self->FinishTearDownIfDone();
}

// Main thread. Once the environment is going away and nothing of ours is left, Node may free the
// loop.
void Texample::FinishTearDownIfDone() {
  if (teardown_hook_ == nullptr || live_streams_ > 0 || open_watches_ > 0) return;
  napi_remove_async_cleanup_hook(teardown_hook_);
  delete this;
}
// excerpt-end: cleanup

// --- JS bindings ---------------------------------------------------------------------------

Texample* Self(const Napi::CallbackInfo& info) { return static_cast<Texample*>(info.Data()); }

// options were checked by common/options.js; this only converts them.
texample::StreamOptions ToStreamOptions(Napi::Object options) {
  texample::StreamOptions out;
  const double count = options.Get("count").As<Napi::Number>().DoubleValue();
  out.count = count == INFINITY ? texample::StreamOptions::kForever : uint64_t(count);
  out.period_ns = uint64_t(options.Get("periodNs").As<Napi::Number>().DoubleValue());
  out.producers = options.Get("producers").As<Napi::Number>().Uint32Value();
  out.stamp = options.Get("stamp").As<Napi::Boolean>().Value();
  return out;
}

Napi::Value StartMethod(const Napi::CallbackInfo& info) {
  if (info.Length() != 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "start(module, options, onDone): wrong arguments");
  }
  Self(info)->Start(info[0].As<Napi::Object>(), ToStreamOptions(info[1].As<Napi::Object>()),
                    info[2].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value StopMethod(const Napi::CallbackInfo& info) {
  Self(info)->Stop();
  return info.Env().Undefined();
}

Napi::Value ProcessExitingMethod(const Napi::CallbackInfo& info) {
  Self(info)->ProcessExiting();
  return info.Env().Undefined();
}

Napi::Value StatsMethod(const Napi::CallbackInfo& info) {
  return StatsObject(info.Env(), Self(info)->Stats());
}

void TearDownHook(napi_async_cleanup_hook_handle hook, void* arg) {
  static_cast<Texample*>(arg)->TearDown(hook);
}

// excerpt-begin: init
// Runs once in every environment that loads the addon; Node-API addons are context-aware.
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* self = new Texample(env);
  napi_async_cleanup_hook_handle ignored;  // the hook receives its own handle
  NAPI_THROW_IF_FAILED(env, napi_add_async_cleanup_hook(env, TearDownHook, self, &ignored),
                       exports);
  exports.Set("start", Napi::Function::New(env, StartMethod, "start", self));
  exports.Set("stop", Napi::Function::New(env, StopMethod, "stop", self));
  exports.Set("processExiting",
              Napi::Function::New(env, ProcessExitingMethod, "processExiting", self));
  exports.Set("stats", Napi::Function::New(env, StatsMethod, "stats", self));
  return exports;
}

}  // namespace

NODE_API_MODULE(texample, Init)
// excerpt-end: init
