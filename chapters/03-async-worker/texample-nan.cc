// Chapter 3, variant nan: texample.cc written with nan instead of node-addon-api. A stream is one
// Nan::AsyncBareProgressQueueWorker, the base of Nan::AsyncProgressQueueWorker with a queue of our
// own: its Execute() runs on a libuv threadpool thread for the whole stream, starts the producers
// and waits for them; every item they Send() reaches HandleProgressCallback() on the main thread;
// HandleOKCallback() settles the stream once the last item has been delivered.
// `diff texample.cc texample-nan.cc` shows what the API changes.
#include <nan.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "block_list.h"
#include "locked_queue.h"
#include "loop_iteration.h"
#include "producer.h"
#include "stats.h"

namespace {

using texample::Item;
using Items = texample::BlockList<Item>;  // what a take holds (common/block_list.h)

// The counters as the JS object stats() returns. Numbers are exact up to 2^53.
v8::Local<v8::Object> StatsObject(const texample::StatsSnapshot& s) {
  v8::Local<v8::Object> stats = Nan::New<v8::Object>();
  auto set = [&](const char* name, uint64_t value) {
    Nan::Set(stats, Nan::New(name).ToLocalChecked(), Nan::New<v8::Number>(double(value)));
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
// Main thread. With V8's own TryCatch the two failures of a call into JS are told apart directly:
// JS threw, or the environment is being terminated (worker.terminate()).
enum class JsOutcome { kOk, kThrew, kEnvironmentGone };

JsOutcome Outcome(const v8::TryCatch& try_catch) {
  if (!try_catch.HasCaught()) return JsOutcome::kOk;
  return try_catch.HasTerminated() ? JsOutcome::kEnvironmentGone : JsOutcome::kThrew;
}

// Main thread, after JsOutcome::kThrew: the exception becomes 'uncaughtException', as in the
// original.
void ReportUncaught(v8::Isolate* isolate, const v8::TryCatch& try_catch) {
  node::FatalException(isolate, try_catch);
}
// excerpt-end: js-outcome

class Texample;

// excerpt-begin: stream
// One stream: the worker nan runs on the threadpool. Its Execute() holds a threadpool thread from
// start() to the end of the stream. nan deletes it once its progress handle has closed.
// Not Nan::AsyncProgressQueueWorker: its WorkProgress pops until its queue is empty, so producers
// faster than the main thread keep it in one wake-up for ever and no timer or I/O callback runs
// again (measured: process.exit() from a timer never came). The Bare base leaves the queue to us:
// ours hands over at most kMaxItemsPerWakeUp items per wake-up, as Node's ThreadSafeFunction does.
class Stream : public Nan::AsyncBareProgressQueueWorker<Item> {
 public:
  Stream(Texample* owner, v8::Local<v8::Function> on_done, const texample::StreamOptions& options);
  ~Stream() override;

  void RequestStop();  // any thread
  uint64_t Sent();     // any thread; exact once Execute has returned
  uint64_t Refused();
  // Main thread, once Execute has returned: why the stream was cut short (a producer thread
  // that could not be created), or empty.
  const std::string& Failure() const { return failure_; }
  bool DrainQueue();  // main thread, inside Texample::WakeUp; false if nothing was there

  // The Sink of texample::ProducerGroup: producer threads.
  bool Push(const Item& item);
  void ProducersDone();

 private:
  // A threadpool thread.
  void Execute(const ExecutionProgress& progress) override;
  // Producer threads, through Send().
  void SendProgress_(const Item* items, size_t count) override;
  // Main thread: once per wake-up; after Execute, WorkComplete (a final wake-up, then
  // HandleOKCallback, or HandleErrorCallback if Execute set an error).
  void WorkProgress() override;
  void HandleProgressCallback(const Item* items, size_t count) override;
  void WorkComplete() override;
  void HandleOKCallback() override;
  void HandleErrorCallback() override;
  void Take();           // main thread
  void NoteIfDrained();  // main thread

  Texample* const owner_;  // outlives the stream: its teardown waits for ~Stream
  const texample::StreamOptions options_;
  // Written by Execute before the producers start (creating a thread orders it before their reads).
  const ExecutionProgress* progress_ = nullptr;
  texample::ProducerGroup<Stream> producers_;  // started and joined by the Execute thread
  std::string failure_;  // written by Execute; read by the main thread after it has returned

  std::mutex mutex_;
  std::condition_variable execute_cv_;  // Execute waits: for the producers, then for the last take
  bool stop_requested_ = false;         // guarded by mutex_
  bool producers_started_ = false;      // guarded by mutex_
  bool producers_done_ = false;         // guarded by mutex_
  bool drained_ = false;                // guarded by mutex_: the main thread took the last item

  static constexpr size_t kMaxItemsPerWakeUp = 1000;  // the ThreadSafeFunction's figure
  texample::LockedQueue<Item> queue_;  // producers push, the main thread takes it whole
  Items batch_;                        // main thread: taken from queue_, handed over in slices
  size_t next_ = 0;                    // main thread: the first item of batch_ not handed over
};
// excerpt-end: stream

// excerpt-begin: state
// One per environment (the main thread and each worker_thread that loads the addon), freed by
// the environment's cleanup hook once its last stream is gone.
class Texample {
 public:
  explicit Texample(v8::Isolate* isolate);

  void Start(v8::Local<v8::Object> module, const texample::StreamOptions& options,
             v8::Local<v8::Function> on_done);
  void Stop();
  texample::StatsSnapshot Stats();
  void TearDown(void (*done)(void*), void* done_arg);

  // Called by the stream on the main thread.
  bool WakeUp(Stream* stream);
  void QueueDepth(size_t depth);
  void Deliver(const Item* items, size_t count);
  void Settle(Stream* stream, v8::Local<v8::Function> on_done);
  void StreamDestroyed();

 private:
  enum class State { kIdle, kRunning, kClosing };

  v8::MaybeLocal<v8::Function> LookUpCallback(v8::Local<v8::Object> module);
  void CallEach(v8::Local<v8::Object> module, v8::Local<v8::Function> callback, const Item* items,
                size_t count);
  void EnvironmentGone();
  void FinishTearDownIfDone();

  // Set at construction, read-only after.
  v8::Isolate* const isolate_;
  uv_loop_t* const loop_;

  // Main thread only.
  State state_ = State::kIdle;
  Stream* stream_ = nullptr;  // the running stream; nan owns it
  int live_streams_ = 0;      // created and not yet destroyed
  bool stamp_ = false;
  bool environment_gone_ = false;  // no JS may run any more
  texample::DeliveryCounter counter_;
  uint64_t sent_ = 0;  // of the last stream, once it has settled
  uint64_t refused_ = 0;
  Nan::Persistent<v8::Object> module_;
  node::async_context async_context_{};
  Nan::Persistent<v8::Object> async_resource_;
  // Valid during one WakeUp: the callback it looked up (empty: not a function), and when.
  v8::Local<v8::Function> wake_up_callback_;
  uint64_t wake_up_iteration_ = 0;
  void (*teardown_done_)(void*) = nullptr;  // set while the teardown waits
  void* teardown_done_arg_ = nullptr;

 public:
  node::AsyncCleanupHookHandle cleanup_hook;  // registered by Init, dropped with this object
};
// excerpt-end: state

Texample::Texample(v8::Isolate* isolate)
    : isolate_(isolate), loop_(node::GetCurrentEventLoop(isolate)) {}

Stream::Stream(Texample* owner, v8::Local<v8::Function> on_done,
               const texample::StreamOptions& options)
    : Nan::AsyncBareProgressQueueWorker<Item>(new Nan::Callback(on_done), "texample"),
      owner_(owner),
      options_(options) {}

Stream::~Stream() { owner_->StreamDestroyed(); }

// excerpt-begin: execute
// A threadpool thread, for the whole stream. The producers are started and joined here, by the
// same thread. A stop() that arrives before they start is remembered, so it is never lost.
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
  execute_cv_.wait(lock, [this] { return producers_done_; });
  lock.unlock();
  producers_.StopAndJoin();  // they have finished; this only reaps the threads
  // Then until the main thread has taken the last item, or a stop: once Execute returns, nan's
  // WorkComplete hands over everything still queued in one loop turn, which behind a flood would
  // hold the loop for as long as that backlog takes. One send, in case the producers' sends all
  // coalesced into wake-ups that came before the end.
  uv_async_send(&async);
  lock.lock();
  execute_cv_.wait(lock, [this] { return drained_ || stop_requested_; });
}

// Any thread. Producers stop before their next item; Execute then returns.
void Stream::RequestStop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_requested_ = true;
  if (producers_started_) producers_.RequestStop();
  execute_cv_.notify_one();  // Execute may be waiting for the main thread's last take
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
// Producer thread. Send() is safe from any thread, not only Execute's: it calls SendProgress_,
// which queues the item and calls uv_async_send on the worker's own handle to wake the main
// thread (sends coalesce). It never blocks for long and never refuses. progress_ is valid until
// Execute returns, which is after every producer has been joined.
bool Stream::Push(const Item& item) {
  progress_->Send(&item, 1);
  return true;
}

// Producer thread.
void Stream::SendProgress_(const Item* items, size_t count) {
  for (size_t i = 0; i < count; ++i) queue_.Push(items[i]);
  uv_async_send(&async);
}

// The last producer thread, after its last push: Execute goes on to wait for the last take.
void Stream::ProducersDone() {
  std::lock_guard<std::mutex> lock(mutex_);
  producers_done_ = true;
  execute_cv_.notify_one();
}
// excerpt-end: producer

// excerpt-begin: progress
// Main thread, once per wake-up of the worker's uv_async_t, however many sends coalesced into it.
// Texample::WakeUp opens one callback scope and calls DrainQueue.
void Stream::WorkProgress() { owner_->WakeUp(this); }

// Main thread. Takes everything queued once the previous batch is used up, and hands at most
// kMaxItemsPerWakeUp items to HandleProgressCallback; if some are left, it sends again, so that
// the loop runs timers, I/O and a worker's termination before the next slice. Order is kept.
// Returns whether it handed anything over.
bool Stream::DrainQueue() {
  if (next_ == batch_.size()) Take();
  // A slice lies within one of the queue's blocks: the callback takes a pointer and a count.
  const size_t count = std::min(batch_.ContiguousFrom(next_), kMaxItemsPerWakeUp);
  if (count > 0) HandleProgressCallback(&batch_[next_], count);
  next_ += count;
  if (next_ < batch_.size()) {
    uv_async_send(&async);
  } else {
    NoteIfDrained();
  }
  return count > 0;
}

void Stream::Take() {
  queue_.TakeAll(batch_);
  next_ = 0;
  owner_->QueueDepth(batch_.size());
}

// Main thread, with everything taken so far handed over. Once the producers are done, one more
// take shows whether anything is left, and if nothing is, Execute may return. "Done" is read
// before that take: a producer's last push happens before it reports done under mutex_, so the
// take sees every item.
void Stream::NoteIfDrained() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!producers_done_ || drained_) return;
  }
  Take();
  if (!batch_.empty()) {
    uv_async_send(&async);  // hand these over first
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  drained_ = true;
  execute_cv_.notify_one();
}

void Stream::HandleProgressCallback(const Item* items, size_t count) {
  owner_->Deliver(items, count);
}

// Main thread, after Execute has returned (the producers are joined): wake-ups until one finds
// nothing, then HandleOKCallback. nan closes the progress handle after.
void Stream::WorkComplete() {
  while (owner_->WakeUp(this)) {
  }
  Nan::AsyncWorker::WorkComplete();
}

// Main thread. Every item was delivered (or dropped) before this runs.
void Stream::HandleOKCallback() { owner_->Settle(this, callback->GetFunction()); }

// Main thread, instead of HandleOKCallback, when Execute set an error (no producer thread could
// be created).
void Stream::HandleErrorCallback() {
  Nan::HandleScope scope;
  v8::Local<v8::Value> error = Nan::Error(ErrorMessage());
  owner_->Settle(this, callback->GetFunction());
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::TryCatch try_catch(isolate);
  isolate->ThrowException(error);
  ReportUncaught(isolate, try_catch);  // there is no other channel: start() has returned
}
// excerpt-end: progress

// excerpt-begin: deliver
// Main thread, once per wake-up. `callback` is looked up on the module at every wake-up, as in
// the original; if it is not a function, that wake-up's items are dropped. One callback scope per
// wake-up: microtasks and process.nextTick callbacks run once it closes.
bool Texample::WakeUp(Stream* stream) {
  if (environment_gone_) return stream->DrainQueue();  // Deliver drops
  Nan::HandleScope scope;
  node::CallbackScope callback_scope(isolate_, Nan::New(async_resource_), async_context_);
  wake_up_callback_ = LookUpCallback(Nan::New(module_)).FromMaybe(v8::Local<v8::Function>());
  wake_up_iteration_ = texample::LoopIteration(loop_);
  const bool handed_over = stream->DrainQueue();
  wake_up_callback_.Clear();
  return handed_over;
}

// Main thread: how many items one drain found queued.
void Texample::QueueDepth(size_t depth) { counter_.QueueDepth(depth); }

// Main thread, inside WakeUp, with one slice of what was queued.
void Texample::Deliver(const Item* items, size_t count) {
  if (environment_gone_ || wake_up_callback_.IsEmpty()) {
    counter_.Dropped(count);
    return;
  }
  CallEach(Nan::New(module_), wake_up_callback_, items, count);
}

// Main thread. Empty when `callback` is not a function; a getter that throws is reported as an
// uncaught exception, like an exception thrown by the callback itself.
v8::MaybeLocal<v8::Function> Texample::LookUpCallback(v8::Local<v8::Object> module) {
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> callback;
  if (!Nan::Get(module, Nan::New("callback").ToLocalChecked()).ToLocal(&callback)) {
    if (Outcome(try_catch) == JsOutcome::kThrew) ReportUncaught(isolate_, try_catch);
    return {};
  }
  if (!callback->IsFunction()) return {};
  return callback.As<v8::Function>();
}

// Main thread. An exception thrown by the callback is reported as 'uncaughtException'; if the
// process survives it, delivery goes on with the next item.
void Texample::CallEach(v8::Local<v8::Object> module, v8::Local<v8::Function> callback,
                        const Item* items, size_t count) {
  v8::Local<v8::Context> context = Nan::GetCurrentContext();
  for (size_t i = 0; i < count; ++i) {
    Nan::HandleScope item_scope;
    v8::Local<v8::Value> argv[] = {Nan::New<v8::Number>(static_cast<double>(items[i].value)),
                                   Nan::New<v8::Number>(static_cast<double>(items[i].sent_ns))};
    v8::TryCatch try_catch(isolate_);
    v8::MaybeLocal<v8::Value> ignored = callback->Call(context, module, stamp_ ? 2 : 1, argv);
    (void)ignored;
    const JsOutcome outcome = Outcome(try_catch);
    if (outcome == JsOutcome::kEnvironmentGone) {
      counter_.Dropped(count - i);
      return EnvironmentGone();
    }
    counter_.Delivered(wake_up_iteration_);
    if (outcome == JsOutcome::kThrew) ReportUncaught(isolate_, try_catch);
  }
}
// excerpt-end: deliver

// excerpt-begin: start
// Main thread. Queues the stream's worker: a threadpool thread picks it up and runs Execute.
void Texample::Start(v8::Local<v8::Object> module, const texample::StreamOptions& options,
                     v8::Local<v8::Function> on_done) {
  if (state_ != State::kIdle) throw std::runtime_error("the previous stream is still closing");
  module_.Reset(module);
  v8::Local<v8::Object> resource = Nan::New<v8::Object>();
  async_resource_.Reset(resource);
  async_context_ = node::EmitAsyncInit(isolate_, resource, "texample");
  stamp_ = options.stamp;
  counter_.Reset();
  sent_ = refused_ = 0;
  stream_ = new Stream(this, on_done, options);  // deleted by nan once its handle has closed
  ++live_streams_;
  Nan::AsyncQueueWorker(stream_);  // the worker's request and uv_async_t keep the process alive
  state_ = State::kRunning;
}
// excerpt-end: start

// excerpt-begin: watch
// Main thread. No watch is needed here, unlike with Node-API: nan queues its work with
// uv_queue_work itself, which Node does not wait for before it runs cleanup hooks, so the
// environment's cleanup hook runs while Execute waits and stops the producers itself. A
// terminated callback (HasTerminated) ends delivery at once.
void Texample::EnvironmentGone() {
  environment_gone_ = true;
  if (state_ == State::kRunning) Stop();
}
// excerpt-end: watch

// excerpt-begin: stop
// Main thread. Asks the producers to stop; Execute joins them and returns. Everything already
// sent is still delivered, before HandleOKCallback: this variant delivers on stop, it never drops.
void Texample::Stop() {
  if (state_ != State::kRunning) return;
  state_ = State::kClosing;
  stream_->RequestStop();
}

// Main thread, from HandleOKCallback: resolves start()'s promise with the final counters. The
// callback may start the next stream at once, so every member is reset before JS runs and none is
// touched after.
void Texample::Settle(Stream* stream, v8::Local<v8::Function> on_done) {
  sent_ = stream->Sent();  // exact: Execute has joined the producers
  refused_ = stream->Refused();
  Nan::HandleScope scope;
  const node::async_context context = async_context_;
  v8::Local<v8::Object> resource = Nan::New(async_resource_);
  module_.Reset();
  async_resource_.Reset();
  stream_ = nullptr;
  state_ = State::kIdle;
  if (!environment_gone_) {
    const std::string& failure = stream->Failure();  // the stream lives until after this returns
    v8::Local<v8::Value> argv[] = {StatsObject(Stats()), Nan::New(failure).ToLocalChecked()};
    v8::MaybeLocal<v8::Value> ignored =
        node::MakeCallback(isolate_, resource, on_done, failure.empty() ? 1 : 2, argv, context);
    (void)ignored;
  }
  node::EmitAsyncDestroy(isolate_, context);
}
// excerpt-end: stop

texample::StatsSnapshot Texample::Stats() {
  if (stream_ != nullptr) return counter_.Snapshot(stream_->Sent(), stream_->Refused());
  return counter_.Snapshot(sent_, refused_);
}

// excerpt-begin: cleanup
// Main thread of an environment that is going away (a worker terminated, the process exiting
// normally). Execute may still be waiting for the producers: stop them; nan then runs its final
// drain (dropped: no JS may run now), HandleOKCallback, and closes its progress handle. Tell Node
// we are done once the stream is gone, so that it frees the loop after that handle is closed.
void Texample::TearDown(void (*done)(void*), void* done_arg) {
  environment_gone_ = true;
  module_.Reset();
  if (state_ == State::kRunning) Stop();
  teardown_done_ = done;
  teardown_done_arg_ = done_arg;
  FinishTearDownIfDone();
}

// Main thread, from ~Stream: nan has closed the stream's uv_async_t.
void Texample::StreamDestroyed() {
  --live_streams_;
  FinishTearDownIfDone();
}

// Main thread. Once the environment is going away and nothing of ours is left, Node may free the
// loop.
void Texample::FinishTearDownIfDone() {
  if (teardown_done_ == nullptr || live_streams_ > 0) return;
  teardown_done_(teardown_done_arg_);
  delete this;
}
// excerpt-end: cleanup

// --- JS bindings ---------------------------------------------------------------------------

Texample* Self(const Nan::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<Texample*>(info.Data().As<v8::External>()->Value());
}

double NumberField(v8::Local<v8::Object> object, const char* name) {
  return Nan::To<double>(Nan::Get(object, Nan::New(name).ToLocalChecked()).ToLocalChecked())
      .FromJust();
}

// options were checked by common/options.js; this only converts them.
texample::StreamOptions ToStreamOptions(v8::Local<v8::Object> options) {
  texample::StreamOptions out;
  const double count = NumberField(options, "count");
  out.count = count == INFINITY ? texample::StreamOptions::kForever : uint64_t(count);
  out.period_ns = uint64_t(NumberField(options, "periodNs"));
  out.producers = unsigned(NumberField(options, "producers"));
  out.stamp = Nan::To<bool>(Nan::Get(options, Nan::New("stamp").ToLocalChecked()).ToLocalChecked())
                  .FromJust();
  return out;
}

NAN_METHOD(StartMethod) {
  if (info.Length() != 3 || !info[0]->IsObject() || !info[1]->IsObject() ||
      !info[2]->IsFunction()) {
    return Nan::ThrowTypeError("start(module, options, onDone): wrong arguments");
  }
  try {
    Self(info)->Start(info[0].As<v8::Object>(), ToStreamOptions(info[1].As<v8::Object>()),
                      info[2].As<v8::Function>());
  } catch (const std::exception& error) {
    Nan::ThrowError(error.what());
  }
}

NAN_METHOD(StopMethod) { Self(info)->Stop(); }

NAN_METHOD(StatsMethod) { info.GetReturnValue().Set(StatsObject(Self(info)->Stats())); }

void TearDownHook(void* arg, void (*done)(void*), void* done_arg) {
  static_cast<Texample*>(arg)->TearDown(done, done_arg);
}

// excerpt-begin: init
// Runs once in every environment that loads the addon: NAN_MODULE_WORKER_ENABLED declares the
// addon context-aware. With the plain NODE_MODULE macro only one environment at a time can load
// it: a second one (a worker beside the main thread, say) gets "Module did not self-register".
NAN_MODULE_INIT(Init) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  auto* self = new Texample(isolate);
  self->cleanup_hook = node::AddEnvironmentCleanupHook(isolate, TearDownHook, self);
  v8::Local<v8::External> data = Nan::New<v8::External>(self);
  auto method = [&](const char* name, Nan::FunctionCallback fn) {
    v8::Local<v8::FunctionTemplate> tpl = Nan::New<v8::FunctionTemplate>(fn, data);
    Nan::Set(target, Nan::New(name).ToLocalChecked(), Nan::GetFunction(tpl).ToLocalChecked());
  };
  method("start", StartMethod);
  method("stop", StopMethod);
  method("stats", StatsMethod);
}

}  // namespace

NAN_MODULE_WORKER_ENABLED(texample_nan, Init)
// excerpt-end: init
