// Chapter 3: the AsyncWorker family. A stream is one Napi::AsyncProgressQueueWorker: its
// Execute() runs on a libuv threadpool thread for the whole stream, starts the producers and waits
// for them; every item they Send() reaches OnProgress() on the main thread; OnOK() settles the
// stream once the last item has been delivered. Written with node-addon-api.
//
// Built with TEXAMPLE_LATEST_ONLY (the progress-worker variant) it runs on
// Napi::AsyncProgressWorker instead, which keeps only the latest Send() for OnProgress() and
// discards the ones it replaces: a coalescing ("latest only") mechanism. Each progress then carries
// how many items had been sent when it was sent, so that the main thread can count exactly the
// items it never saw. The
// `#ifdef TEXAMPLE_LATEST_ONLY` blocks are all that differs.
#include <napi.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>

#include "loop_iteration.h"
#include "producer.h"
#include "runtime.h"  // ReportUncaught
#include "stats.h"
#include "stats_object.h"

namespace {

using texample::Item;
using texample::StatsObject;

#ifdef TEXAMPLE_LATEST_ONLY
// excerpt-begin: progress-type
// What one Send() carries: the item, and how many items had been sent then, this one included.
struct Progress {
  Item item;
  uint64_t sends;
};
// excerpt-end: progress-type
using Worker = Napi::AsyncProgressWorker<Progress>;
#else
using Worker = Napi::AsyncProgressQueueWorker<Item>;
#endif

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
// On Deno, texample::ReportUncaught also takes the termination that follows an exception nothing
// handled (common/runtime.h); the process then ends, and the next calls need not stop for it.
void ReportUncaught(napi_env env) {
  napi_value error;
  if (napi_get_and_clear_last_exception(env, &error) != napi_ok) return;
  texample::ReportUncaught(env, error);
}
// excerpt-end: js-outcome

class Texample;

// excerpt-begin: stream
// One stream: the worker node-addon-api runs on the threadpool. Its Execute() holds a threadpool
// thread from start() to the end of the stream. node-addon-api deletes it after OnOK()/OnError().
class Stream : public Worker {
 public:
  Stream(Texample* owner, Napi::Function on_done, const texample::StreamOptions& options);
  ~Stream() override;

  void RequestStop();   // any thread
  void AbandonQueue();  // main thread
  uint64_t Sent();      // any thread; exact once Execute has returned
  uint64_t Refused();
  // Main thread, once Execute has returned: why the stream was cut short (a producer thread
  // that could not be created), or empty.
  const std::string& Failure() const { return failure_; }

  // The Sink of texample::ProducerGroup: producer threads.
  bool Push(const Item& item);
  void ProducersDone();

 private:
  // A threadpool thread.
  void Execute(const ExecutionProgress& progress) override;
  void OnOK() override;
  void OnError(const Napi::Error& error) override;
#ifdef TEXAMPLE_LATEST_ONLY
  // Main thread: with the latest Send(); after the last one, OnOK.
  void OnProgress(const Progress* latest, size_t count) override;
  uint64_t SendsNotSeen();
#else
  // Main thread: once per Send(); after the last one, OnOK.
  void OnProgress(const Item* items, size_t count) override;
  void WaitUntilAllSeen();
#endif

  Texample* const owner_;  // outlives the stream: its teardown waits for ~Stream
  const texample::StreamOptions options_;
  // Written by Execute before the producers start (creating a thread orders it before their reads).
  const ExecutionProgress* progress_ = nullptr;
  texample::ProducerGroup<Stream> producers_;  // started and joined by the Execute thread
  std::string failure_;  // written by Execute; read by the main thread after it has returned

  std::mutex mutex_;
  std::condition_variable producers_done_cv_;
  bool stop_requested_ = false;          // guarded by mutex_
  bool producers_started_ = false;       // guarded by mutex_
  bool producers_done_ = false;          // guarded by mutex_
  bool queue_abandoned_ = false;         // guarded by mutex_
  std::condition_variable all_seen_cv_;  // WaitUntilAllSeen waits on it under mutex_

#ifdef TEXAMPLE_LATEST_ONLY
  std::mutex send_mutex_;    // makes the order of `sends` the order in which Send() replaces data
  uint64_t sends_ = 0;       // guarded by send_mutex_
  uint64_t sends_seen_ = 0;  // main thread: `sends` of the latest progress OnProgress received
#else
  // Every Send() OnProgress has received, and, once the producers are joined, how many there were.
  static constexpr uint64_t kNotYetKnown = UINT64_MAX;
  std::atomic<uint64_t> sends_seen_{0};             // written by the main thread
  std::atomic<uint64_t> sends_made_{kNotYetKnown};  // written by the Execute thread
#endif
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
  void Skipped(uint64_t count);  // latest only: items replaced before OnProgress saw them
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
  const texample::LoopIterations iterations_;  // for the stats; and whether the watch can run
  uv_loop_t* loop_ = nullptr;                  // the watch's, where the runtime runs libuv
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

Texample::Texample(Napi::Env env) : env_(env), iterations_(env) {
  if (iterations_.RunsLibuv() && napi_get_uv_event_loop(env, &loop_) != napi_ok) {
    throw std::runtime_error("no event loop");
  }
  no_op_ = Napi::Persistent(Napi::Function::New(env, [](const Napi::CallbackInfo&) {}));
}

Stream::Stream(Texample* owner, Napi::Function on_done, const texample::StreamOptions& options)
    : Worker(on_done, "texample"), owner_(owner), options_(options) {}

Stream::~Stream() { owner_->StreamDestroyed(); }

// excerpt-begin: execute
// A threadpool thread, for the whole stream. The producers are started and joined here, by the
// same thread. A stop() that arrives before or while they start is remembered, so it is never
// lost. A producer thread that cannot be created cuts the stream short: the producers that did
// start are stopped, the stream ends as on stop(), and start()'s promise rejects (Settle).
void Stream::Execute(const ExecutionProgress& progress) {
  progress_ = &progress;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_requested_) return;  // stopped before it started: nothing was sent
  }
  // Not under mutex_: when a thread cannot be created and none is left running, Start() calls
  // ProducersDone() itself, on this thread, and that takes the mutex.
  failure_ = producers_.Start(options_, this);
  std::unique_lock<std::mutex> lock(mutex_);
  producers_started_ = true;
  if (stop_requested_) producers_.RequestStop();  // a stop() that came while they started
  producers_done_cv_.wait(lock, [this] { return producers_done_; });
  lock.unlock();
  producers_.StopAndJoin();  // they have finished; this only reaps the threads
#ifndef TEXAMPLE_LATEST_ONLY
  WaitUntilAllSeen();
#endif
}

#ifndef TEXAMPLE_LATEST_ONLY
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
#endif

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

#ifdef TEXAMPLE_LATEST_ONLY
// excerpt-begin: producer-latest
// Producer thread. Send() is safe from any thread, not only Execute's: it copies the progress into
// a new array, replaces the one not yet delivered (freeing it) and calls the worker's
// ThreadSafeFunction, whose queue holds one call: when a call is already queued, that call will
// deliver this progress. It never blocks. The lock numbers the sends in the order in which they
// replace each other, which is what makes the main thread's count of skipped items exact.
// progress_ is valid until Execute returns, which is after every producer has been joined.
bool Stream::Push(const Item& item) {
  std::lock_guard<std::mutex> lock(send_mutex_);
  const Progress progress{item, ++sends_};
  progress_->Send(&progress, 1);
  return true;
}
// excerpt-end: producer-latest
#else
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
// excerpt-end: producer
#endif

// The last producer thread, after its last push: Execute may return.
void Stream::ProducersDone() {
  std::lock_guard<std::mutex> lock(mutex_);
  producers_done_ = true;
  producers_done_cv_.notify_one();
}

#ifdef TEXAMPLE_LATEST_ONLY
// excerpt-begin: progress-latest
// Main thread, with the latest Send() only: those it replaced are gone, and `sends` says how
// many. Two wake-ups racing for one progress once made node-addon-api call this with no data
// (node-addon-api #821, fixed by #853: the second call is now suppressed); the check stays.
void Stream::OnProgress(const Progress* latest, size_t count) {
  if (latest == nullptr || count == 0) return;
  owner_->Skipped(latest->sends - sends_seen_ - 1);
  sends_seen_ = latest->sends;
  owner_->Deliver(&latest->item, 1);
}

// Main thread. node-addon-api calls OnOK only after the ThreadSafeFunction has made its last
// call and closed, so the latest Send() has been delivered by now: SendsNotSeen() is 0 unless
// the environment went away first.
void Stream::OnOK() {
  owner_->Skipped(SendsNotSeen());
  owner_->Settle(this, Callback().Value());
}

// Main thread, instead of OnOK, if an error was set on the worker. Execute sets none (a thread
// that could not be created is a Failure(), which Settle reports), so this only keeps the default,
// which would pass the error to on_done as if it were the stats, from ever running.
void Stream::OnError(const Napi::Error& error) {
  napi_env env = Env();
  napi_value value = error.Value();
  owner_->Skipped(SendsNotSeen());
  owner_->Settle(this, Callback().Value());
  napi_fatal_exception(env, value);  // there is no other channel: start() has returned
}

uint64_t Stream::SendsNotSeen() {
  std::lock_guard<std::mutex> lock(send_mutex_);
  return sends_ - sends_seen_;
}
// excerpt-end: progress-latest
#else
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

// Main thread, instead of OnOK, if an error was set on the worker. Execute sets none (a thread
// that could not be created is a Failure(), which Settle reports), so this only keeps the default,
// which would pass the error to on_done as if it were the stats, from ever running.
void Stream::OnError(const Napi::Error& error) {
  napi_env env = Env();
  napi_value value = error.Value();
  owner_->Settle(this, Callback().Value());
  napi_fatal_exception(env, value);  // there is no other channel: start() has returned
}
// excerpt-end: progress
#endif

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
  const uint64_t iteration = iterations_.Current();
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

// Main thread, latest only. Items the worker replaced before OnProgress saw them.
#ifdef TEXAMPLE_LATEST_ONLY
void Texample::Skipped(uint64_t count) { counter_.Dropped(count); }
#endif

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
// Only on Node, whose libuv loop is real: Bun's uv_* functions are stubs that end the process,
// and Deno's uv shim is not libuv (its "loop" is the environment itself). There a stream runs
// without a watch, and a terminated worker relies on the runtime's own teardown
// (docs/portability.md).
void Texample::StartWatch() {
  if (!iterations_.RunsLibuv()) return;
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
// sent is still delivered, before OnOK: this chapter delivers on stop, it never drops (latest
// only: the latest progress is delivered; what it replaced was skipped, as during the stream).
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
  const std::string& failure = stream->Failure();  // the stream lives until after this returns
  napi_value argv[] = {StatsObject(env_, Stats()), Napi::String::New(env_, failure)};
  const size_t argc = failure.empty() ? 1 : 2;
  napi_value ignored;
  const napi_status status =
      napi_call_function(env_, env_.Undefined(), on_done, argc, argv, &ignored);
  if (Outcome(env_, status) == JsOutcome::kThrew) ReportUncaught(env_);
}

// Main thread. The watch's memory lives until libuv has closed it.
void Texample::CloseWatch() {
  if (watch_ == nullptr) return;  // none was started (see StartWatch)
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
  texample::FinishAsyncCleanup(teardown_hook_);
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
