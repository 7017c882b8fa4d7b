// Chapter 4: Node-API's thread-safe function, through node-addon-api. Node owns the queue, the
// uv_async_t, the wake-up and the end of the stream; the chapter supplies call_js, the thread
// count, the queue's size and mode, and the order in which a stream is stopped.
// Built twice from this file: `texample`, with Napi::TypedThreadSafeFunction (call_js known at
// compile time, items passed in preallocated slots), and, with TEXAMPLE_UNTYPED defined,
// `texample_untyped`, with Napi::ThreadSafeFunction (a std::function allocated per call, and a
// call_js of our own that frees it even when Node discards the call), and, with TEXAMPLE_DOORBELL
// defined, `texample_doorbell`: the function carries no items at all, only a ring when the
// chapter's own queue needs draining (a doorbell), and call_js drains that queue, up to 1000
// items a call.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "block_list.h"
#include "item_slots.h"
#include "locked_queue.h"
#include "loop_iteration.h"
#include "producer.h"
#include "runtime.h"  // ReportUncaught
#include "stats.h"
#include "stats_object.h"

namespace {

using texample::Item;
using Items = texample::BlockList<Item>;  // what a take holds (common/block_list.h)
using texample::StatsObject;

// What start() asked for: the common options, and this chapter's two.
struct Options {
  texample::StreamOptions stream;
  size_t queue_size = 0;  // Node's max_queue_size: 0 = unbounded
  bool blocking = true;   // a full queue: BlockingCall waits, NonBlockingCall refuses (a drop)
  uint64_t turn_budget = UINT64_MAX;  // doorbell: items one loop turn delivers (turnBudget)
};

class Texample;

#if defined(TEXAMPLE_DOORBELL)
// excerpt-begin: function-type-doorbell
// call_js, fixed at compile time, and no data: a call is a ring that says "the queue has items",
// never an item. It drains the chapter's own queue.
void AnswerDoorbell(Napi::Env env, Napi::Function unused, Texample* self, void* unused_data);
using ThreadSafeFunction = Napi::TypedThreadSafeFunction<Texample, void, AnswerDoorbell>;
// excerpt-end: function-type-doorbell
#elif !defined(TEXAMPLE_UNTYPED)
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
  void CallJs(Napi::Env env, const Item& item);  // per-item builds: one item
  void Drain(Napi::Env env);                     // doorbell build: the whole queue, per ring
  void Finalize(Napi::Env env);
  void UseNextTurn(Napi::Function schedule);  // doorbell build: setImmediate, from doorbell.js
  void TurnEnd(uint64_t stream);              // doorbell build: from that setImmediate
  friend void CallJsTrampoline(Napi::Env env, Napi::Function unused, Texample* self, Item* slot);

 private:
  enum class State { kIdle, kRunning, kStopping };

  ThreadSafeFunction NewFunction(Napi::Env env, size_t queue_size);
  napi_status Call(const Item& item, napi_threadsafe_function_call_mode mode);
  void BeginWakeUp(uint64_t iteration);
  Napi::Function LookUpCallback(Napi::Object module);
  bool CallIntoJs(napi_value function, napi_value receiver, size_t argc, const napi_value* argv);
  bool ReportPendingException();
  void Settle(Napi::Env env);
  bool Deliver(Napi::Env env);  // doorbell
  void ScheduleTurnEnd();       // doorbell
  void RingNextTurn();          // doorbell
  // doorbell
  bool CallEach(Napi::Env env, Napi::Object module, Napi::Function callback, const Items& take,
                size_t end, uint64_t iteration);

  // Set at construction, read-only after: main thread.
  const Napi::Env env_;
  const texample::LoopIterations iterations_;  // where wake-ups begin, and the stats

  // Written by the main thread before the producers start, read-only while they run.
  ThreadSafeFunction tsfn_;
  bool blocking_ = true;

  // Used by producer threads and the main thread.
  alignas(64) texample::ItemSlots slots_;  // typed build only: producers fill, main thread takes
  alignas(64) std::mutex one_waiter_;      // held by the producer waiting in BlockingCall
  alignas(64) texample::ProducerGroup<Texample> producers_;  // started, joined by main thread
#ifdef TEXAMPLE_DOORBELL
  // Doorbell build only. Each starts a cache line of its own: producers write both at every
  // item, the main thread once per call.
  alignas(64) texample::LockedQueue<Item> queue_;          // producers push, main thread takes all
  alignas(64) std::atomic<bool> doorbell_pending_{false};  // a ring is queued or not yet answered
#endif

  // Main thread only; written at every item.
  alignas(64) State state_ = State::kIdle;
  bool stamp_ = false;
  uint64_t called_ = 0;  // items CallJs had with an env (doorbell: Drain handled), this stream
  uint64_t wakeup_iteration_ = 0;  // the loop iteration of the current wake-up
#ifdef TEXAMPLE_DOORBELL
  std::deque<Items> takes_;            // taken from queue_, oldest first, not all delivered
  size_t next_ = 0;                    // takes_.front()[next_] is delivered next
  bool count_given_back_ = false;      // the stream's thread count, by Drain
  uint64_t backlog_ = 0;               // items in takes_ not delivered yet
  Items spare_;                        // a delivered take: its blocks go to queue_ at the next take
  uint64_t turn_budget_ = UINT64_MAX;  // items one loop turn may deliver
  uint64_t turn_used_ = 0;             // items delivered since this loop turn began
  bool turn_end_scheduled_ = false;    // TurnEnd() is queued with setImmediate
  bool ring_deferred_ = false;         // TurnEnd() rings: the backlog waits for the next turn
  uint64_t stream_ = 0;                // counts streams: a TurnEnd() of an older one is ignored
  Napi::FunctionReference next_turn_;  // setImmediate, from doorbell.js (UseNextTurn)
  Napi::FunctionReference turn_end_;   // what it calls: TurnEnd(), made at load
#endif
  texample::DeliveryCounter counter_;
  Napi::ObjectReference module_;
  Napi::FunctionReference callback_;  // module.callback as read at this wake-up; empty: drop
  Napi::FunctionReference on_done_;
  std::string failure_;  // why the stream was cut short (a thread not created), or empty
  napi_async_cleanup_hook_handle cleanup_hook_ = nullptr;  // set by TearDown, used by Finalize
};
// excerpt-end: state

// The ThreadSafeFunction finds the loop by itself; the chapter needs none of libuv, so it runs
// wherever Node-API's thread-safe functions do (Bun, Deno).
Texample::Texample(Napi::Env env) : env_(env), iterations_(env) {}

// excerpt-begin: start
// Main thread. A new ThreadSafeFunction for every stream: one that was aborted cannot be used
// again. Its handle is referenced from the start (Ref() is the default): a running stream keeps
// the process alive. It is closed at the end of the stream, so a finished one lets it exit. A
// producer thread that cannot be created cuts the stream short: it ends as on stop(), and
// start()'s promise then rejects with the reason.
void Texample::Start(Napi::Object module, const Options& options, Napi::Function on_done) {
  if (state_ != State::kIdle) throw std::runtime_error("the previous stream is still stopping");
  blocking_ = options.blocking;
  stamp_ = options.stream.stamp;
  called_ = 0;
  wakeup_iteration_ = UINT64_MAX;
  counter_.Reset();
#ifdef TEXAMPLE_DOORBELL
  doorbell_pending_.store(false, std::memory_order_relaxed);  // an abort may have left it set
  count_given_back_ = false;
  turn_budget_ = options.turn_budget;
  turn_used_ = 0;
  turn_end_scheduled_ = false;
  ring_deferred_ = false;
  ++stream_;
#else
  slots_.Reset(options.stream.producers);
#endif
  tsfn_ = NewFunction(env_, options.queue_size);
  module_ = Napi::Persistent(module);
  on_done_ = Napi::Persistent(on_done);
  state_ = State::kRunning;
  failure_ = producers_.Start(options.stream, this);
  if (!failure_.empty()) Stop();
}
// excerpt-end: start

// excerpt-begin: open-marker
// Main thread. The JS function each stream's ThreadSafeFunction holds. call_js never calls it (it
// calls module.callback); it is there to be handed back. Node passes it to call_js with every
// call while the function is open, and a null env for the calls it drops once the function has
// closed. Deno instead calls call_js with a real env and no function for a call a producer made
// while stop()'s Abort was closing the function, after the finalizer has run
// (matrix/repro/late-calls.c). So call_js reads "no env or no function" as "this stream is gone"
// and touches nothing: not the slot, not the stream's state, which may be the next stream's.
Napi::Function OpenMarker(Napi::Env env) {
  return Napi::Function::New(
      env, [](const Napi::CallbackInfo&) {}, "texampleOpenMarker");
}
// excerpt-end: open-marker

#ifndef TEXAMPLE_UNTYPED
// excerpt-begin: new-function
// Main thread. initial_thread_count 1: one count for the whole producer group, given back by the
// last producer to finish (ProducersDone; doorbell build: by the drain that delivers the group's
// last item). The function closes once the count is zero and the queue is empty, or at once on
// Abort; Node then calls the finalizer on the main thread. The JS function it holds is
// OpenMarker(): call_js never calls it, only checks that it comes back.
ThreadSafeFunction Texample::NewFunction(Napi::Env env, size_t queue_size) {
  return ThreadSafeFunction::New(env, OpenMarker(env), "texample", queue_size,
                                 /*initialThreadCount=*/1, this,
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
      env, OpenMarker(env), /*async_resource=*/nullptr, Napi::String::New(env, "texample"),
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

#ifndef TEXAMPLE_DOORBELL
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
#else
// excerpt-begin: doorbell-push
// Producer thread. The item goes into the chapter's own queue, and only the producer that turns
// doorbell_pending_ from false to true calls the function: one call per drain, however many
// items the drain finds. Drain() turns the flag back with an exchange too, before it takes the
// queue. Both are read-modify-writes of one atomic, so each has its place in one total order,
// and each reads the value the one before it wrote:
// - this exchange comes before the clear: it reads true and does not ring. The clear then reads
//   this true, or a later producer's (the release sequence this one heads: RMWs only), so this
//   release synchronizes with the clear's acquire, and the take after the clear sees this push;
// - it comes after the clear: it reads false and rings, or reads the true of a producer that rang
//   after the clear; that ring's drain takes this item, by the first case.
// No item waits for a ring that will not come. The argument needs no lock, only the two RMWs
// (it would hold for a lock-free ring too); a plain store(false) would read nothing, and on
// ARM64 the take could then run ahead of the store becoming visible (store-load reordering).
// The call is never refused for room: the function's queue is unbounded, and holds at most one
// ring, since only the thread that sets the flag rings. It fails only once the function is
// closing (stop() aborted it, or the environment is going away); the item then stays queued,
// and Finalize() counts it as dropped.
bool Texample::Push(const Item& item) {
  queue_.Push(item);
  if (!doorbell_pending_.exchange(true, std::memory_order_release)) tsfn_.NonBlockingCall();
  return true;
}

// The last producer thread, after its last push; or Start(), when no producer thread could be
// created. Rings like a push: the drain that answers sees AllDone() (the fences in ProducerGroup
// order that against its clearing of the flag), and gives back the thread count once it has
// delivered everything (Drain). Releasing here instead would let Node close the function while
// the drain still holds items, and leave nothing to call it again.
void Texample::ProducersDone() {
  if (!doorbell_pending_.exchange(true, std::memory_order_release)) tsfn_.NonBlockingCall();
}
// excerpt-end: doorbell-push
#endif

#if defined(TEXAMPLE_DOORBELL)
// excerpt-begin: doorbell-drain
// At most this many calls under one HandleScope: a scope per 1000 calls costs little next to a
// scope per call (a quarter of a call: bench/floor).
constexpr size_t kItemsPerCall = 1000;

// Main thread, once per ring. After an Abort, Node also calls it with a null env for the rings
// still queued when the function closes, after Finalize() up to Node 22 and before it from Node 24
// (experiments/node-versions.js); Deno, with no function, for a ring that raced the Abort
// (OpenMarker). Finalize() counts what was left, and in a teardown `self` may already be gone,
// so this must not touch it.
void AnswerDoorbell(Napi::Env env, Napi::Function open_marker, Texample* self, void*) {
  if (env != nullptr && !open_marker.IsEmpty()) self->Drain(env);
}

// Main thread, inside the HandleScope and the callback scope Node opens for one call: microtasks
// run after each call's items, not after each item. Clears the flag, then takes the whole queue
// onto the backlog (the order Push() relies on; AllDone() is read between the two, see
// ProducersDone()), and delivers what is left of this loop turn's budget. Taking at every call
// keeps the producers' buffer small, a call's worth: the backlog of a producer faster than JS
// piles up here instead, one take after another, never copied. If items are left, the ring for
// them waits for the next loop turn (RingNextTurn). Once every producer is done and the backlog
// is empty, it gives back the stream's thread count, and Node closes the function. `callback` is
// looked up once per call, so a replacement takes effect from the next call; if it is not a
// function, the items are dropped. A stop() ends delivery at once, from the callback too: this
// chapter drops what is left on stop().
void Texample::Drain(Napi::Env env) {
  // This turn's budget is spent and TurnEnd() will ring: a producer's ring that Node dispatches
  // in the same turn is answered then. The flag stays set, so no producer rings meanwhile.
  if (ring_deferred_) return;
  doorbell_pending_.exchange(false, std::memory_order_acquire);
  const bool producers_done = producers_.AllDone();  // before the take, which then holds it all
  queue_.TakeAll(spare_);
  if (!spare_.empty()) {
    backlog_ += spare_.size();
    takes_.push_back(std::move(spare_));  // leaves spare_ empty, without blocks
  }
  if (backlog_ != 0 && state_ == State::kRunning && !Deliver(env)) return;  // no JS can run here
  if (state_ != State::kRunning) return;  // stop(), even from the callback, or a teardown
  if (backlog_ != 0) {
    RingNextTurn();  // the rest in the next loop turn
  } else if (producers_done && !count_given_back_) {
    count_given_back_ = true;
    tsfn_.Release();
  }
}

// Main thread. What is left of this loop turn's budget, oldest first, kItemsPerCall calls per
// HandleScope. Returns false when JS can no longer run here.
bool Texample::Deliver(Napi::Env env) {
  counter_.QueueDepth(backlog_);
  if (turn_used_ >= turn_budget_) return true;
  ScheduleTurnEnd();
  const uint64_t iteration = iterations_.Current();
  Napi::Object module = module_.Value();
  Napi::Function callback = LookUpCallback(module);
  uint64_t budget = turn_budget_ - turn_used_;
  while (budget != 0 && backlog_ != 0 && state_ == State::kRunning) {
    Items& take = takes_.front();
    const size_t end = next_ + std::min<uint64_t>({budget, take.size() - next_, kItemsPerCall});
    budget -= end - next_;
    turn_used_ += end - next_;
    if (!CallEach(env, module, callback, take, end, iteration)) return false;
    if (next_ == take.size()) {  // its blocks go back to queue_ at the next take
      spare_ = std::move(take);
      takes_.pop_front();
      next_ = 0;
    }
  }
  return true;
}

// Main thread. take[next_ … end), one call each, under one HandleScope, counted once at the end
// (stats() read from the callback may lag by up to kItemsPerCall items). An exception thrown by
// the callback is reported as 'uncaughtException', and delivery goes on with the next item.
// Returns false when JS can no longer run here (the environment is going away).
bool Texample::CallEach(Napi::Env env, Napi::Object module, Napi::Function callback,
                        const Items& take, size_t end, uint64_t iteration) {
  const size_t first = next_;
  size_t delivered = 0;
  bool js_runs = true;
  if (callback.IsEmpty()) next_ = end;  // all dropped
  Napi::HandleScope scope(env);
  napi_value argv[2];
  while (next_ < end && state_ == State::kRunning) {
    const Item& item = take[next_++];
    argv[0] = Napi::Number::New(env, static_cast<double>(item.value));
    if (stamp_) argv[1] = Napi::Number::New(env, static_cast<double>(item.sent_ns));
    if (!CallIntoJs(callback, module, stamp_ ? 2 : 1, argv)) {  // no JS ran: this item is dropped
      js_runs = false;
      break;
    }
    ++delivered;
  }
  called_ += next_ - first;
  backlog_ -= next_ - first;
  counter_.Delivered(iteration, delivered);
  counter_.Dropped(next_ - first - delivered);
  return js_runs;
}
// excerpt-end: doorbell-drain

// excerpt-begin: doorbell-next-turn
// A ring from the main thread would not wait for the next loop turn: Node's dispatcher calls
// call_js again, in the same turn, for every call that arrives while it dispatches (up to 999),
// so a self-ring, or a producer's, would let a producer faster than JS hold the loop for about
// 1000 budgets. A loop turn is marked instead with setImmediate, which every runtime runs once
// per turn, after its I/O callbacks: on Node in the check phase, after the poll phase in which
// the function's uv_async_t called call_js. TurnEnd() resets the turn's count and makes the ring
// for what is left; on Node that ring's uv_async_send lands in the next iteration's poll phase,
// after this iteration's timers and beside every I/O event ready by then.

// Main thread, at this turn's first delivery: TurnEnd() at the end of the turn. Without a
// setImmediate (the binding used without doorbell.js), or if it throws, the turn ends now.
void Texample::ScheduleTurnEnd() {
  if (turn_end_scheduled_) return;
  turn_end_scheduled_ = true;
  if (next_turn_.IsEmpty()) {
    turn_end_scheduled_ = false;
    return;
  }
  const napi_value argv[] = {turn_end_.Value(), Napi::Number::New(env_, double(stream_))};
  if (!CallIntoJs(next_turn_.Value(), env_.Undefined(), 2, argv)) turn_end_scheduled_ = false;
}

// Main thread, with items left and this turn's budget spent. Sets the flag as a producer would,
// so that none rings meanwhile, and leaves the ring to TurnEnd(). Where no TurnEnd() is on its
// way (no setImmediate), rings at once, as a producer would.
void Texample::RingNextTurn() {
  doorbell_pending_.exchange(true, std::memory_order_relaxed);  // the backlog is ours alone
  if (turn_end_scheduled_) {
    ring_deferred_ = true;
    return;
  }
  turn_used_ = 0;
  tsfn_.NonBlockingCall();
}

// Main thread, from setImmediate: the turn is over. A ring for the deferred backlog, unless the
// stream was stopped or is not the one that scheduled this (an older stream's TurnEnd() may run
// after the next start()). The flag is still set: the drain this ring calls clears it.
void Texample::TurnEnd(uint64_t stream) {
  if (stream != stream_) return;
  turn_end_scheduled_ = false;
  turn_used_ = 0;
  if (!ring_deferred_) return;
  ring_deferred_ = false;
  if (state_ == State::kRunning) tsfn_.NonBlockingCall();
}

// Main thread, when doorbell.js loads: the function that marks a loop turn.
void Texample::UseNextTurn(Napi::Function schedule) {
  next_turn_ = Napi::Persistent(schedule);
  turn_end_ = Napi::Persistent(Napi::Function::New(
      env_,
      [](const Napi::CallbackInfo& info) {
        static_cast<Texample*>(info.Data())
            ->TurnEnd(uint64_t(info[0].As<Napi::Number>().DoubleValue()));
      },
      "texampleTurnEnd", this));
}
// excerpt-end: doorbell-next-turn
#elif !defined(TEXAMPLE_UNTYPED)
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

#if !defined(TEXAMPLE_UNTYPED) && !defined(TEXAMPLE_DOORBELL)
// excerpt-begin: trampoline
// Main thread, once per item. After an Abort, Node also calls it with a null env for every item
// still queued when the function closes, after Finalize() up to Node 22 and before it from Node 24
// (experiments/node-versions.js); Deno, with no function, for a call that raced the Abort
// (OpenMarker). Finalize() counts those, the slot may be freed, and in a teardown `self` may
// already be gone, so this must not touch them.
void CallJsTrampoline(Napi::Env env, Napi::Function open_marker, Texample* self, Item* slot) {
  if (env == nullptr || open_marker.IsEmpty()) return;
  self->CallJs(env, self->slots_.Take(slot));
}
// excerpt-end: trampoline
#elif defined(TEXAMPLE_UNTYPED)
// excerpt-begin: call-and-free
// Main thread, once per accepted call. After an Abort, Node also calls it with a null env for
// every call still queued when the function closes, after or before Finalize() depending on the
// Node version (experiments/node-versions.js); Deno, with no function, for a call that raced the
// Abort (OpenMarker). Then the lambda must not run (in a teardown `self` may already be gone),
// but its memory is ours to free. A Napi::Error that escapes CallJs is handed to JS, as
// node-addon-api's own call_js does; none may cross into C.
void CallAndFree(napi_env env, napi_value open_marker, void*, void* data) {
  std::unique_ptr<ItemCall> call(static_cast<ItemCall*>(data));
  if (env == nullptr || open_marker == nullptr) return;
  try {
    (*call)(Napi::Env(env));
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
  }
}
// excerpt-end: call-and-free
#endif

#ifndef TEXAMPLE_DOORBELL
// excerpt-begin: call-js
// Main thread, once per item, inside a callback scope Node opens for this one item (microtasks
// run after every item, not once per wake-up) and with a HandleScope of its own. Node calls this
// for up to 999 items in a row, then sends itself a new wake-up so that other callbacks get a
// turn. It tells call_js nothing about wake-ups: the loop's iteration count shows where they are.
// After stop() nothing is delivered: Node calls nothing more once Abort() has closed the function,
// but Deno still calls for what was queued before it, and where Abort() fails (every producer has
// finished) Node calls for the rest of the queue too.
void Texample::CallJs(Napi::Env env, const Item& item) {
  ++called_;
  if (state_ != State::kRunning) {
    counter_.Dropped();
    return;
  }
  const uint64_t iteration = iterations_.Current();
  // Where the runtime cannot tell iterations apart, every item begins a wake-up of its own: the
  // callback is then looked up per item, which a replacement still takes effect from.
  if (iteration == texample::kUnknownIteration || iteration != wakeup_iteration_) {
    BeginWakeUp(iteration);
  }
  if (callback_.IsEmpty()) {
    counter_.Dropped();
    return;
  }
  napi_value argv[] = {Napi::Number::New(env, static_cast<double>(item.value)), nullptr};
  if (stamp_) argv[1] = Napi::Number::New(env, static_cast<double>(item.sent_ns));
  if (!CallIntoJs(callback_.Value(), module_.Value(), stamp_ ? 2 : 1, argv)) {  // no JS ran
    counter_.Dropped();
    return;
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
// excerpt-end: call-js
#endif

// excerpt-begin: report
// Main thread: function.call(receiver, ...argv). An exception it throws is reported as an
// uncaught exception. Returns false when JS can no longer run here.
bool Texample::CallIntoJs(napi_value function, napi_value receiver, size_t argc,
                          const napi_value* argv) {
  if (napi_call_function(env_, receiver, function, argc, argv, nullptr) == napi_ok) return true;
  return ReportPendingException();
}

// Main thread. Empty when `callback` is not a function; a getter that throws is reported as an
// uncaught exception, like an exception thrown by the callback itself.
Napi::Function Texample::LookUpCallback(Napi::Object module) {
  napi_value callback = nullptr;
  napi_valuetype type = napi_undefined;
  if (napi_get_named_property(env_, module, "callback", &callback) != napi_ok) {
    ReportPendingException();
    return Napi::Function();
  }
  if (napi_typeof(env_, callback, &type) != napi_ok || type != napi_function) {
    return Napi::Function();
  }
  return Napi::Function(env_, callback);
}

// Main thread, after a call into JS failed. Left pending, an exception thrown in call_js of an
// addon built for Node-API 8 is swallowed by every Node from 20 to 26 with a deprecation warning
// (DEP0168) unless node runs with --force-node-api-uncaught-exceptions-policy
// (experiments/uncaught.js, node-versions.js). The contract wants 'uncaughtException', so report
// it here: napi_fatal_exception emits it, or ends the process when nothing handles it. The
// exception is read with Node-API's C functions: node-addon-api's Napi::Error reads a property of
// what it caught, and on Deno a caught null then leaves a TypeError pending in its place. Any
// value is reported, null too. Returns false when JS can no longer run here: a worker being
// terminated refuses every call that runs JS, with nothing pending; Deno returns from a report
// nothing handled, and ReportUncaught (common/runtime.h) finds that the process is ending.
bool Texample::ReportPendingException() {
  bool pending = false;
  napi_value exception = nullptr;
  if (napi_is_exception_pending(env_, &pending) != napi_ok || !pending) return false;
  if (napi_get_and_clear_last_exception(env_, &exception) != napi_ok) return false;
  return texample::ReportUncaught(env_, exception);
}
// excerpt-end: report

// excerpt-begin: stop
// Main thread. Abort first. It is a Release that also closes: it gives back the group's thread
// count, marks the function closing and wakes the producer waiting in BlockingCall for room in a
// full queue; every call from then on returns an error status (napi_closing while some count is
// left, napi_invalid_arg once none is). Only then join. Joining first would wait for a producer
// that waits for the main thread to make room: a deadlock. The items still queued are dropped:
// Node closes the function on its next turn without calling JS for them. If the producers have
// all finished already, Abort fails (no thread count left) and Node calls for the rest of the
// queue as usual; CallJs() and Drain() drop it, since state_ says stopping.
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
// hands whatever is still queued to call_js with a null env, after this returns up to Node 22 and
// before it is called from Node 24; either way those calls count nothing, so the items are
// counted as dropped here, while the counters certainly exist.
void Texample::Finalize(Napi::Env env) {
  producers_.StopAndJoin();  // they have finished or were stopped: this only reaps the threads
  counter_.Dropped(producers_.Sent() - producers_.Refused() - called_);
  slots_.Clear();  // no slot is read again: the null-env calls do not look at theirs
#ifdef TEXAMPLE_DOORBELL
  Items left;  // what no call will deliver, counted above; all freed
  queue_.TakeAll(left);
  takes_.clear();
  spare_ = Items();
  next_ = 0;
  backlog_ = 0;
#endif
  if (cleanup_hook_ != nullptr) {  // the environment is going away: TearDown() ran
    napi_async_cleanup_hook_handle hook = cleanup_hook_;
    delete this;
    texample::FinishAsyncCleanup(hook);  // tells Node this cleanup has finished
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
  const std::string failure = std::move(failure_);
  failure_.clear();
  module_.Reset();
  callback_.Reset();
  tsfn_ = ThreadSafeFunction();
  state_ = State::kIdle;
  napi_value args[2];
  size_t argc = 0;
  try {
    args[argc++] = StatsObject(env, stats);
    if (!failure.empty()) args[argc++] = Napi::String::New(env, failure);
  } catch (const Napi::Error&) {  // not even an object could be made: no JS can run here
    return;
  }
  CallIntoJs(on_done.Value(), env.Undefined(), argc, args);
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
// then completes the teardown without running JS. Deno may still call call_js with an env for
// what was queued before the Abort (OpenMarker): state_ says stopping, so that delivers nothing
// and never reads the references reset here.
void Texample::TearDown(napi_async_cleanup_hook_handle hook) {
  const bool streaming = state_ != State::kIdle;
  if (streaming) {
    state_ = State::kStopping;
    tsfn_.Abort();
  }
  producers_.StopAndJoin();
  module_.Reset();
  callback_.Reset();
  on_done_.Reset();
#ifdef TEXAMPLE_DOORBELL
  next_turn_.Reset();  // no JS runs from here on: no setImmediate marks a turn any more
  turn_end_.Reset();
#endif
  if (!streaming) {
    delete this;
    texample::FinishAsyncCleanup(hook);
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
  if (options.Has("turnBudget")) {  // doorbell: always there (common/turn-budget.js), 0: Infinity
    const double budget = NumberField(options, "turnBudget");
    out.turn_budget = budget == 0 ? UINT64_MAX : uint64_t(budget);
  }
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
#ifdef TEXAMPLE_DOORBELL
  exports.Set("useNextTurn", Napi::Function::New(
                                 env,
                                 [](const Napi::CallbackInfo& info) {
                                   Self(info)->UseNextTurn(info[0].As<Napi::Function>());
                                 },
                                 "useNextTurn", self));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
// excerpt-end: init
