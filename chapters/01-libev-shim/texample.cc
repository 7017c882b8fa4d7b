// Chapter 1: the original texample's design (producer thread, message queue, libev async
// watcher, a callback looked up on the module) on the libev-style shim in common/ev_shim.h,
// with the original's bugs fixed. Written with nan, as addons of that era were.
#include <nan.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "block_list.h"
#include "ev_shim.h"
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

// excerpt-begin: state
// One per environment (the main thread and each worker_thread that loads the addon), freed by
// the environment's cleanup hook: unlike the original's globals, nothing outlives its
// environment, and two environments never share a watcher or a queue.
class Texample {
 public:
  explicit Texample(v8::Isolate* isolate)
      : isolate_(isolate), loop_(ev_default_loop_bind(node::GetCurrentEventLoop(isolate))) {
    ev_async_init(&notifier_, Callback);
    ev_async_set_closed_cb(&notifier_, Closed);
    notifier_.data = this;
    // A JS function, not a native one: V8 calls a native (API) function even where JS may not
    // run, so only a JS function's call tells whether JS can run.
    v8::Local<v8::Value> no_op =
        Nan::RunScript(
            Nan::CompileScript(Nan::New("(function () {})").ToLocalChecked()).ToLocalChecked())
            .ToLocalChecked();
    no_op_.Reset(no_op.As<v8::Function>());
  }

  void Start(v8::Local<v8::Object> module, const texample::StreamOptions& options,
             uint64_t turn_budget, v8::Local<v8::Function> on_done);
  void Stop();
  texample::StatsSnapshot Stats() const;
  void TearDown(void (*done)(void*), void* done_arg);

  // The Sink of texample::ProducerGroup: producer threads.
  bool Push(const Item& item);
  void ProducersDone();

 private:
  enum class State { kIdle, kRunning, kClosing };

  static void Callback(EV_P_ ev_async* w, int revents);
  static void Closed(ev_async* w);
  void Drain();
  v8::MaybeLocal<v8::Function> LookUpCallback(v8::Local<v8::Object> module);
  void Deliver(size_t end);
  void CallEach(v8::Local<v8::Object> module, v8::Local<v8::Function> callback, size_t end);
  bool JsCanRun();
  void Settle();

  // Set at construction, read-only after: any thread.
  v8::Isolate* const isolate_;
  struct ev_loop* const loop_;

  ev_async notifier_;  // started on the main thread, sent from producers
  texample::LockedQueue<Item> queue_;
  texample::ProducerGroup<Texample> producers_;

  // Main thread only.
  State state_ = State::kIdle;
  bool stamp_ = false;
  std::string failure_;  // why the stream was cut short (a thread not created), or empty
  Items batch_;          // the latest take, reused across wake-ups
  size_t next_ = 0;      // batch_[next_] is delivered next; batch_.size(): all delivered
  uint64_t turn_budget_ = UINT64_MAX;  // items one wake-up may deliver (turnBudget)
  texample::DeliveryCounter counter_;
  Nan::Persistent<v8::Object> module_;
  Nan::Persistent<v8::Function> on_done_;
  node::async_context async_context_{};
  Nan::Persistent<v8::Object> async_resource_;
  Nan::Persistent<v8::Function> no_op_;  // JsCanRun()'s probe, made once at load
  void (*teardown_done_)(void*) = nullptr;
  void* teardown_done_arg_ = nullptr;

 public:
  node::AsyncCleanupHookHandle cleanup_hook;  // registered by Init, dropped with this object
};
// excerpt-end: state

// excerpt-begin: producer
// Producer thread. The original pushed without ever reading under the lock on the other side;
// here both sides take the lock. ev_async_send is safe from any thread and coalesces, so one
// send per item is correct, and cheap: while a wake-up is pending a send costs no system call.
bool Texample::Push(const Item& item) {
  queue_.Push(item);
  ev_async_send(loop_, &notifier_);
  return true;
}

// The last producer thread, after its last push: wake the main thread so it sees the end.
void Texample::ProducersDone() { ev_async_send(loop_, &notifier_); }
// excerpt-end: producer

// excerpt-begin: callback
// Main thread, once per wake-up however many sends coalesced into it. The original popped one
// item here, so every coalesced send stranded an item; this takes the whole queue.
void Texample::Callback(EV_P_ ev_async* w, int revents) {
  (void)loop;
  (void)revents;  // always EV_ASYNC
  static_cast<Texample*>(w->data)->Drain();
}

// Takes the whole queue once the previous take is delivered, and delivers at most turn_budget_
// items of it. A producer faster than JS would otherwise keep one wake-up going for as long as
// the flood lasts, and no timer or I/O callback would run meanwhile. What is left waits for a
// send to ourselves: libuv has cleared the handle's pending flag before this callback and does
// not look at the handle again in this pass, so the send lands in the next loop iteration's poll
// phase, after this iteration's setImmediate callbacks and timers (libuv >= 1.45 runs them at
// the end of an iteration, older ones at the start of the next), beside every I/O event ready
// by then. A wake-up that took nothing new (it finished an older take) sends too: the sends
// that coalesced into it may stand for items it has not taken.
void Texample::Drain() {
  const bool took = next_ == batch_.size();
  bool producers_done = false;
  if (took) {
    // Read "all done" before taking: a producer's last push happens before it reports done,
    // so if they were all done then, this take holds the very last item.
    producers_done = producers_.AllDone();
    queue_.TakeAll(batch_);
    next_ = 0;
    counter_.QueueDepth(batch_.size());
  }
  Deliver(next_ + std::min<uint64_t>(batch_.size() - next_, turn_budget_));
  if (next_ < batch_.size() || !took) {
    ev_async_send(loop_, &notifier_);  // the rest in the next loop iteration
    return;
  }
  if (producers_done && state_ == State::kRunning) {
    producers_.StopAndJoin();  // they have finished; this only reaps the threads
    state_ = State::kClosing;
    ev_async_stop(loop_, &notifier_);
  }
}
// excerpt-end: callback

// excerpt-begin: deliver
// Main thread: batch_[next_ … end). `callback` is looked up on the module at every wake-up, as
// in the original, so a replacement takes effect from the next wake-up; if it is not a function
// the items are dropped.
void Texample::Deliver(size_t end) {
  if (next_ == end) return;
  Nan::HandleScope scope;
  v8::Local<v8::Object> module = Nan::New(module_);
  // One callback scope per wake-up: microtasks and process.nextTick callbacks queued by the
  // callback (or by a getter on `callback`) run once it closes, as after any other I/O callback.
  node::CallbackScope callback_scope(isolate_, Nan::New(async_resource_), async_context_);
  v8::Local<v8::Function> callback;
  if (!LookUpCallback(module).ToLocal(&callback)) {
    counter_.Dropped(end - next_);
    next_ = end;
    return;
  }
  CallEach(module, callback, end);
}

// Main thread. Empty when `callback` is not a function; a getter that throws is reported as an
// uncaught exception, like an exception thrown by the callback itself.
v8::MaybeLocal<v8::Function> Texample::LookUpCallback(v8::Local<v8::Object> module) {
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> callback;
  if (!Nan::Get(module, Nan::New("callback").ToLocalChecked()).ToLocal(&callback)) {
    if (try_catch.HasCaught() && !try_catch.HasTerminated())
      node::FatalException(isolate_, try_catch);
    return {};
  }
  if (!callback->IsFunction()) return {};
  return callback.As<v8::Function>();
}

// Main thread. A HandleScope per item keeps handles from piling up over a large batch. An
// exception thrown by the callback is reported as 'uncaughtException', as the original did;
// if the process survives it, delivery goes on with the next item. When JS cannot run here any
// more, the rest of the take is dropped at once: item by item, an overloaded stream's backlog
// (millions of items) would take seconds to go through while a worker is being terminated.
void Texample::CallEach(v8::Local<v8::Object> module, v8::Local<v8::Function> callback,
                        size_t end) {
  const uint64_t iteration = texample::LoopIteration(loop_->uv);
  v8::Local<v8::Context> context = Nan::GetCurrentContext();
  while (next_ < end) {
    const Item& item = batch_[next_++];
    Nan::HandleScope item_scope;
    v8::Local<v8::Value> argv[] = {Nan::New<v8::Number>(static_cast<double>(item.value)),
                                   Nan::New<v8::Number>(static_cast<double>(item.sent_ns))};
    v8::TryCatch try_catch(isolate_);
    v8::MaybeLocal<v8::Value> ignored_result =
        callback->Call(context, module, stamp_ ? 2 : 1, argv);
    (void)ignored_result;
    if (try_catch.HasTerminated() || (try_catch.HasCaught() && !JsCanRun())) {
      counter_.Dropped(batch_.size() - next_ + 1);
      next_ = batch_.size();
      return;
    }
    counter_.Delivered(iteration);
    if (try_catch.HasCaught()) node::FatalException(isolate_, try_catch);
  }
}

// Main thread, after a call threw. A worker being terminated first stops its JS (the call
// reports termination), but then Node runs the loop once more to close its handles, with JS
// forbidden: a wake-up then finds every call throwing, though nothing is terminating. Whether the
// callback threw or nothing can run any more, a call of a function that does nothing tells.
bool Texample::JsCanRun() {
  v8::TryCatch try_catch(isolate_);
  return !Nan::Call(Nan::New(no_op_), Nan::GetCurrentContext()->Global(), 0, nullptr).IsEmpty();
}
// excerpt-end: deliver

// excerpt-begin: start
// Main thread. The original started its watcher and thread once and never stopped them; here a
// stream starts, ends and can start again. A producer thread that cannot be created cuts the
// stream short: it ends as on stop(), and start()'s promise then rejects with the reason.
void Texample::Start(v8::Local<v8::Object> module, const texample::StreamOptions& options,
                     uint64_t turn_budget, v8::Local<v8::Function> on_done) {
  if (state_ != State::kIdle) throw std::runtime_error("the previous stream is still closing");
  module_.Reset(module);
  on_done_.Reset(on_done);
  v8::Local<v8::Object> resource = Nan::New<v8::Object>();
  async_resource_.Reset(resource);
  async_context_ = node::EmitAsyncInit(isolate_, resource, "texample");
  stamp_ = options.stamp;
  turn_budget_ = turn_budget;
  batch_.clear();
  next_ = 0;
  counter_.Reset();
  ev_async_start(loop_, &notifier_);  // keeps the process alive while the stream runs
  state_ = State::kRunning;
  failure_ = producers_.Start(options, this);
  if (!failure_.empty()) Stop();
}
// excerpt-end: start

// excerpt-begin: stop
// Main thread. Joins the producers (a sleeping one is woken), then sends once more so the last
// wake-up delivers whatever is still queued and closes the watcher: chapter 1 delivers, it never
// drops on stop.
void Texample::Stop() {
  if (state_ != State::kRunning) return;
  producers_.StopAndJoin();
  ev_async_send(loop_, &notifier_);
}

// Main thread, once the loop has closed the watcher's handle.
void Texample::Closed(ev_async* w) {
  Texample* self = static_cast<Texample*>(w->data);
  if (self->teardown_done_ != nullptr) {
    self->teardown_done_(self->teardown_done_arg_);
    delete self;
    return;
  }
  self->Settle();
}

// Main thread. Resolves start()'s promise with the final counters. The callback may start the
// next stream at once (an awaiting caller resumes inside it), so every member is reset before JS
// runs and none is touched after.
void Texample::Settle() {
  Nan::HandleScope scope;
  const node::async_context context = async_context_;
  v8::Local<v8::Object> resource = Nan::New(async_resource_);
  v8::Local<v8::Function> on_done = Nan::New(on_done_);
  v8::Local<v8::Value> argv[] = {StatsObject(Stats()), Nan::New(failure_).ToLocalChecked()};
  const int argc = failure_.empty() ? 1 : 2;
  module_.Reset();
  on_done_.Reset();
  async_resource_.Reset();
  failure_.clear();
  state_ = State::kIdle;
  node::MakeCallback(isolate_, resource, on_done, argc, argv, context);
  node::EmitAsyncDestroy(isolate_, context);
}
// excerpt-end: stop

texample::StatsSnapshot Texample::Stats() const {
  return counter_.Snapshot(producers_.Sent(), producers_.Refused());
}

// excerpt-begin: cleanup
// Main thread of an environment that is going away (a worker terminated, the process exiting
// normally). No JS may run now: stop and join the producers, drop what is queued, close the
// watcher, and tell Node when the handle is closed so that it can free the loop after it.
void Texample::TearDown(void (*done)(void*), void* done_arg) {
  producers_.StopAndJoin();
  counter_.Dropped(batch_.size() - next_);  // taken, not delivered yet
  queue_.TakeAll(batch_);
  counter_.Dropped(batch_.size());
  next_ = batch_.size();
  module_.Reset();
  on_done_.Reset();
  async_resource_.Reset();
  if (state_ == State::kIdle) {
    done(done_arg);
    delete this;
    return;
  }
  teardown_done_ = done;
  teardown_done_arg_ = done_arg;
  ev_async_stop(loop_, &notifier_);  // a no-op if already closing; Closed() finishes
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

// options were checked by common/options.js; this only converts them. turnBudget is always
// there (common/turn-budget.js): 0 stands for Infinity, no budget.
uint64_t ToTurnBudget(v8::Local<v8::Object> options) {
  const double budget = NumberField(options, "turnBudget");
  return budget == 0 ? UINT64_MAX : uint64_t(budget);
}

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
    v8::Local<v8::Object> options = info[1].As<v8::Object>();
    Self(info)->Start(info[0].As<v8::Object>(), ToStreamOptions(options), ToTurnBudget(options),
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

// Runs once in every environment that loads the addon: NAN_MODULE_WORKER_ENABLED declares the
// addon context-aware. With the plain NODE_MODULE macro only one environment at a time can load
// it: a second one (a worker beside the main thread, say) gets "Module did not self-register".
// excerpt-begin: init
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

NAN_MODULE_WORKER_ENABLED(texample, Init)
// excerpt-end: init
