// Chapter 6: threads the addon does not own. Items arrive on the threads of a C library
// (library/feed.h), which the addon can neither join nor stop in time: an at-once unsubscribe
// returns while a callback may still run, and the library may call in during or after the
// environment's teardown. The wake-up is a Node-API thread-safe function used as a doorbell, as
// in chapter 4's doorbell variant, up to turnBudget items per loop turn (common/turn-budget.js)
// and the rest in the next turn; what this chapter adds is the handle the library calls into:
//   - an outer part, the Gate, that any thread may hold (a std::shared_ptr): the item queue, the
//     doorbell, the function, and whether the stream still accepts calls. It never touches the
//     environment once closed, so it may outlive it;
//   - an inner part, Texample, one per environment, on its main thread: the delivery, the JS
//     references, the promises; it dies with the environment.
// The library is handed no pointer at all, but a number (user_data) looked up in a registry of
// gates: it says nothing about when it is done with user_data, so no pointer could ever be freed.
// A call after stop() or after the teardown finds a closed gate, or none, and is refused with
// FEED_REFUSE, a status the library thread sees; the teardown never waits for a library thread.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "block_list.h"
#include "library/feed.h"
#include "loop_iteration.h"
#include "producer.h"  // Item, StampClockOffsetNs
#include "runtime.h"   // ReportUncaught, FinishAsyncCleanup
#include "stats.h"
#include "stats_object.h"

namespace {

using texample::Item;
using Items = texample::BlockList<Item>;  // what a take holds (common/block_list.h)

// One answer of the library to texample.request(), as it travels to the main thread.
struct Reply {
  uint64_t request;  // the id the request was registered under
  uint64_t value;
};

// excerpt-begin: gate
// The outer part of the handle: any thread. Every field is guarded by mutex_, and every call of
// the thread-safe function, from a library thread or the main thread, is made holding it. So once
// Close() has released the function (under the same mutex) no thread calls it again, and a call
// in progress has returned before the release starts: the lock a thread takes to call is the one
// Close() takes to release. Node-API leaves that mutex to its users (nodejs/node#38775: call and
// release race, napi_closing, finalize_cb), and without it a thread can call a function the
// environment's cleanup has freed (nodejs/node#55706). A mutex's lock and unlock are acquire and
// release operations: on ARM64 as on x86, whatever one holder wrote is seen by the next, so no
// field here needs an atomic or a fence of its own.
class Gate {
 public:
  explicit Gate(napi_threadsafe_function function) : function_(function) {}

  // Library threads. FEED_CONTINUE once the item is queued; FEED_REFUSE once the gate is closed.
  int OfferItem(const Item& item);
  int OfferEnd();
  int OfferReply(const Reply& reply);

  // Main thread, answering a ring: everything queued, and whether the library reported the end.
  void TakeAll(Items& items, std::vector<Reply>& replies, bool& ended);
  void RingAgain();  // main thread: items are left after a drain, and nothing marks the turn
  void HoldRing();   // main thread: items are left, and their ring waits for the next turn
  void RingHeld();   // main thread, in the next turn: the ring HoldRing() held back
  void Close();      // main thread: no call after it returns; gives back the function's count
  void Forget();     // main thread, from the finalizer: the function is gone, close without it
  uint64_t DiscardQueued();  // main thread, after Close(): what was queued, now freed

  uint64_t Accepted();  // items queued: the stream's `sent`
  uint64_t Late();      // item and end calls refused because the gate was closed
  uint64_t LateReplies();

 private:
  bool RingLocked();
  std::unique_lock<std::mutex> LockForMainThread();
  void LetMainThreadIn() const;

  std::mutex mutex_;
  // Set while the main thread waits for mutex_. A mutex is not fair: library threads that call
  // back to back can hand it to each other while the main thread, parked in the kernel, wakes
  // each time to find it taken again, and the queue grows meanwhile (a gdb of three unpaced
  // producers showed the main thread waiting there). Seeing it set, a library thread yields its
  // core before it takes the lock. A hint only, no data travels through it: relaxed.
  std::atomic<bool> main_thread_waiting_{false};
  napi_threadsafe_function function_;  // null once closed: the gate is open while it is set
  bool ring_pending_ = false;          // a ring is queued, or held back (HoldRing); not answered
  bool ended_ = false;                 // the library reported the end of the stream
  Items items_;                        // in blocks: a push never copies the backlog under mutex_
  std::vector<Reply> replies_;
  uint64_t accepted_ = 0;
  uint64_t late_ = 0;
  uint64_t late_replies_ = 0;
};
// excerpt-end: gate

// excerpt-begin: offer
// Library thread. One ring per transition from "nothing to answer" to "something": the function
// is called only by the thread that finds no ring pending, and the drain clears the flag under the
// same mutex before it takes the queue, so no item waits for a ring that will not come. While the
// main thread holds a ring back for the next loop turn (HoldRing), the flag is set as well, and
// the items wait for the ring RingHeld() makes then, which no drain can miss. A call the
// runtime refuses (napi_closing: the environment's cleanup closed the function before our hook
// ran, and Node took back the function's thread count as it refused) closes the gate: the
// function is never touched again from here, and the item is refused like a late one.
int Gate::OfferItem(const Item& item) {
  LetMainThreadIn();
  std::lock_guard<std::mutex> lock(mutex_);
  if (function_ == nullptr || !RingLocked()) {
    ++late_;
    return FEED_REFUSE;
  }
  items_.push_back(item);
  ++accepted_;
  return FEED_CONTINUE;
}

int Gate::OfferEnd() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (function_ == nullptr || !RingLocked()) {
    ++late_;
    return FEED_REFUSE;
  }
  ended_ = true;
  return FEED_CONTINUE;
}

int Gate::OfferReply(const Reply& reply) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (function_ == nullptr || !RingLocked()) {
    ++late_replies_;
    return FEED_REFUSE;
  }
  replies_.push_back(reply);
  return FEED_CONTINUE;
}

// Library thread, before it takes mutex_: waits while the main thread waits for it.
void Gate::LetMainThreadIn() const {
  while (main_thread_waiting_.load(std::memory_order_relaxed)) std::this_thread::yield();
}

// Main thread: mutex_, announced to the library threads (see main_thread_waiting_).
std::unique_lock<std::mutex> Gate::LockForMainThread() {
  main_thread_waiting_.store(true, std::memory_order_relaxed);
  std::unique_lock<std::mutex> lock(mutex_);
  main_thread_waiting_.store(false, std::memory_order_relaxed);
  return lock;
}

// Any thread, holding mutex_, with the gate open. The function's queue is unbounded and holds at
// most one ring, so a non-blocking call is never refused for room: only a closing function
// refuses it, and then the gate closes (see OfferItem).
bool Gate::RingLocked() {
  if (ring_pending_) return true;
  if (napi_call_threadsafe_function(function_, nullptr, napi_tsfn_nonblocking) != napi_ok) {
    function_ = nullptr;
    return false;
  }
  ring_pending_ = true;
  return true;
}
// excerpt-end: offer

void Gate::TakeAll(Items& items, std::vector<Reply>& replies, bool& ended) {
  const std::unique_lock<std::mutex> lock = LockForMainThread();
  ring_pending_ = false;
  items.clear();  // its blocks become the gate's
  items.swap(items_);
  replies.swap(replies_);
  ended = ended_;
}

void Gate::RingAgain() {
  const std::unique_lock<std::mutex> lock = LockForMainThread();
  if (function_ != nullptr) RingLocked();
}

// Main thread, with items left and this loop turn's budget spent. Sets the flag as a library
// thread's ring would, so that none rings meanwhile (a ring now would be answered in this same
// turn, see next-turn), and makes no call. A ring a library thread made during the drain
// may still be queued in the function: Drain() leaves it unanswered.
void Gate::HoldRing() {
  const std::unique_lock<std::mutex> lock = LockForMainThread();
  ring_pending_ = true;
}

// Main thread, in the next loop turn: the ring HoldRing() held back. No drain took the queue
// since, so the flag is still set; a library thread's ring made before HoldRing() may still be
// queued, and this one more ring costs a drain that finds little. Set again by the ring.
void Gate::RingHeld() {
  const std::unique_lock<std::mutex> lock = LockForMainThread();
  if (function_ == nullptr) return;
  ring_pending_ = false;
  RingLocked();
}

// excerpt-begin: close
// Main thread. The gate owns the function's one thread count (initial_thread_count 1) while it
// is open, and gives it back here, under the mutex: Node then answers the ring still queued, if
// any, and closes the function, and its finalizer runs on the main thread. A release that fails
// (napi_invalid_arg: the environment's cleanup closed the function and took the count back while
// refusing a call) leaves nothing to undo. Release, not abort: the queue holds at most one ring,
// there is no blocked caller for an abort to wake, and Deno delivers calls queued before an abort
// after the finalizer (matrix/repro/late-calls.c).
void Gate::Close() {
  const std::unique_lock<std::mutex> lock = LockForMainThread();
  if (function_ == nullptr) return;
  const napi_status released = napi_release_threadsafe_function(function_, napi_tsfn_release);
  (void)released;  // napi_ok, or napi_invalid_arg as above: either way the function is closing
  function_ = nullptr;
}
// excerpt-end: close

// Main thread, from the function's finalizer. Normally Close() ran before; where a runtime closed
// the function on its own first, this takes the mutex, so a library thread inside a call has
// returned, and none will call again: the function is about to be freed.
void Gate::Forget() {
  const std::unique_lock<std::mutex> lock = LockForMainThread();
  function_ = nullptr;
}

uint64_t Gate::DiscardQueued() {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t items = items_.size();
  items_ = Items();
  replies_ = std::vector<Reply>();
  return items;
}

uint64_t Gate::Accepted() {
  std::lock_guard<std::mutex> lock(mutex_);
  return accepted_;
}

uint64_t Gate::Late() {
  std::lock_guard<std::mutex> lock(mutex_);
  return late_;
}

uint64_t Gate::LateReplies() {
  std::lock_guard<std::mutex> lock(mutex_);
  return late_replies_;
}

// The addon stays loaded for the rest of the process: binding.gyp links it with -z nodelete. Node
// unloads an addon (dlclose) when the last environment that loaded it ends, as when only a worker
// loaded it, while the library's threads, whose code (library/feed.cc, OnEvent, the registry)
// lives inside this .node, may still run and call for lateMs after the teardown's at-once
// unsubscribe: they would return into unmapped memory (experiments/unload.sh shows the SIGSEGV
// without Node; the recipe links the same way). binding.gyp also passes g++'s -fno-gnu-unique:
// without it the statics of inline functions (common/runtime.h's, the standard library's) are
// STB_GNU_UNIQUE symbols, which glibc never unloads either, so the addon would stay mapped by an
// accident of the compiler (clang emits none), and tests/foreign-threads.test.js could not show
// what -z nodelete does.
// excerpt-begin: registry
// What the library's user_data stands for: a number, looked up here under a process-wide mutex.
// The library gives no notification of when it is done with user_data (an at-once unsubscribe
// returns while its threads may call for a while yet), so a pointer handed to it could never be
// freed; a number can be forgotten instead. Ids are never reused (64 bits), so a late call never
// finds another stream's gate. A stream's id stays registered after it ends, so that its late
// calls are counted (stats().late), until the environment starts another stream or goes away;
// then they find nothing, are refused all the same, and are counted in Unmatched(). The registry
// and its mutex are allocated once and never freed: library threads may call while the process
// exits and runs static destructors (process.exit()).
class Registry {
 public:
  static Registry& Get() {
    static Registry* registry = new Registry;
    return *registry;
  }

  uint64_t Add(std::shared_ptr<Gate> gate) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t id = next_id_++;
    gates_.emplace(id, std::move(gate));
    return id;
  }

  // Any thread. A share of the gate: it stays alive while the caller uses it, even if its
  // environment forgets it meanwhile.
  std::shared_ptr<Gate> Find(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = gates_.find(id);
    if (found != gates_.end()) return found->second;
    ++unmatched_;
    return nullptr;
  }

  void Erase(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    gates_.erase(id);
  }

  // Main thread: every id of one gate (its stream's and its requests').
  void EraseAll(const Gate* gate) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = gates_.begin(); it != gates_.end();) {
      it = it->second.get() == gate ? gates_.erase(it) : std::next(it);
    }
  }

  uint64_t Unmatched() {
    std::lock_guard<std::mutex> lock(mutex_);
    return unmatched_;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<uint64_t, std::shared_ptr<Gate>> gates_;  // guarded by mutex_
  uint64_t next_id_ = 1;                                       // guarded by mutex_
  uint64_t unmatched_ = 0;  // calls whose id was no longer registered; guarded by mutex_
};

void* IdToUserData(uint64_t id) { return reinterpret_cast<void*>(static_cast<uintptr_t>(id)); }
uint64_t UserDataToId(void* user_data) { return reinterpret_cast<uintptr_t>(user_data); }

// Library threads: the callbacks handed to feed_subscribe and feed_submit.
int OnEvent(void* user_data, const feed_event* event) {
  const std::shared_ptr<Gate> gate = Registry::Get().Find(UserDataToId(user_data));
  if (gate == nullptr) return FEED_REFUSE;
  if (event->kind == FEED_EVENT_END) return gate->OfferEnd();
  const uint64_t offset = static_cast<uint64_t>(
      texample::StampClockOffsetNs().load(std::memory_order_relaxed));  // 0 on Node
  return gate->OfferItem(Item{event->value, event->sent_ns == 0 ? 0 : event->sent_ns + offset});
}

int OnReply(void* user_data, uint64_t value) {
  const uint64_t id = UserDataToId(user_data);
  const std::shared_ptr<Gate> gate = Registry::Get().Find(id);
  if (gate == nullptr) return FEED_REFUSE;
  const int status = gate->OfferReply(Reply{id, value});
  if (status == FEED_CONTINUE) Registry::Get().Erase(id);  // one answer per request
  return status;
}
// excerpt-end: registry

// How stop() unsubscribes (option `unsubscribe`), and how long the library may still call after
// an at-once unsubscribe (option `lateMs`, passed to the library, which is how the race is
// injected). The environment's teardown always unsubscribes at once.
struct Options {
  feed_config feed{};
  bool stop_at_once = false;
  uint64_t turn_budget = UINT64_MAX;  // turnBudget; Infinity: no budget
};

void AnswerDoorbell(napi_env env, napi_value open_marker, void* context, void* data);
void FinalizeFunction(napi_env env, void* data, void* hint);

// excerpt-begin: state
// The inner part: one per environment (the main thread and each worker that loads the addon),
// created by Init, used on that environment's main thread only, freed by its cleanup hook (or by
// the finalizer that hook waits for). It holds the current stream's gate, or the last one's.
class Texample {
 public:
  explicit Texample(napi_env env) : env_(env), iterations_(env) {}

  void Start(Napi::Object module, const Options& options, Napi::Function on_done);
  void Stop();
  napi_value Request(uint64_t value, uint32_t delay_ms);
  texample::StatsSnapshot Stats() const;
  Napi::Object StatsObject(Napi::Env env) const;
  static Napi::Object StatsObject(Napi::Env env, const texample::StatsSnapshot& snapshot,
                                  uint64_t late, uint64_t late_replies);
  void TearDown(napi_async_cleanup_hook_handle hook);

  void Drain(napi_env env);               // call_js: once per ring
  void Finalize();                        // the function's finalizer
  void UseNextTurn(napi_value schedule);  // setImmediate, from index.js
  void TurnEnd(uint64_t stream);          // from that setImmediate

 private:
  enum class State { kIdle, kRunning, kStopping };

  void EndStream(bool at_once);
  bool Deliver(napi_env env);
  bool CallEach(napi_env env, napi_value module, napi_value callback, uint64_t items,
                uint64_t iteration);
  void StartTurns(uint64_t budget);
  void ScheduleTurnEnd();
  void RingNextTurn();
  void Resolve(napi_env env, const std::vector<Reply>& replies);
  void RejectPending(const char* why);
  bool CallIntoJs(napi_value function, napi_value receiver, size_t argc, const napi_value* argv);
  bool ReportPendingException();
  napi_value LookUpCallback(napi_value module);
  void Settle();

  // Set at construction, read-only after.
  const napi_env env_;
  const texample::LoopIterations iterations_;

  State state_ = State::kIdle;
  std::shared_ptr<Gate> gate_;                 // this stream's, or the last one's
  feed_subscription* subscription_ = nullptr;  // until unsubscribed
  bool stop_at_once_ = false;
  bool stamp_ = false;
  std::deque<Items> takes_;     // taken from the gate, oldest first, not all handled
  size_t next_ = 0;             // takes_.front()[next_] is handled next
  uint64_t backlog_ = 0;        // items in takes_ not handled yet
  Items take_;                  // a handled take: its blocks go to the gate at the next take
  std::vector<Reply> replies_;  // likewise
  bool ended_ = false;          // the library reported the end, and the gate was drained since
  uint64_t handled_ = 0;        // items taken and delivered or dropped, this stream
  uint64_t turn_budget_ = UINT64_MAX;  // items one loop turn may deliver (turnBudget)
  uint64_t turn_used_ = 0;             // items delivered since this loop turn began
  bool turn_end_scheduled_ = false;    // TurnEnd() is queued with setImmediate
  bool ring_deferred_ = false;         // TurnEnd() rings: the backlog waits for the next turn
  uint64_t stream_ = 0;                // counts streams: a TurnEnd() of an older one is ignored
  Napi::FunctionReference next_turn_;  // setImmediate, from index.js (UseNextTurn)
  Napi::FunctionReference turn_end_;   // what it calls: TurnEnd(), made at load
  texample::DeliveryCounter counter_;
  std::unordered_map<uint64_t, napi_deferred> pending_;  // request id -> its promise
  Napi::ObjectReference module_;
  Napi::FunctionReference on_done_;
  std::string failure_;                                    // why the stream was cut short, or empty
  napi_async_cleanup_hook_handle cleanup_hook_ = nullptr;  // set by TearDown, used by Finalize
};
// excerpt-end: state

// The JS function each stream's thread-safe function holds, never called: call_js only checks
// that it comes back (chapter 4's OpenMarker). Node passes no env for the rings it discards once
// the function has closed; Deno passes an env and no function for a ring that raced the close,
// after the finalizer (matrix/repro/late-calls.c). Either way call_js touches nothing.
napi_value OpenMarker(napi_env env) {
  napi_value marker = nullptr;
  auto noop = [](napi_env, napi_callback_info) -> napi_value { return nullptr; };
  NAPI_THROW_IF_FAILED(
      env,
      napi_create_function(env, "texampleOpenMarker", NAPI_AUTO_LENGTH, noop, nullptr, &marker),
      nullptr);
  return marker;
}

// excerpt-begin: start
// Main thread. A new function and a new gate for every stream, registered under a new id, which
// is all the library gets. The function is referenced (the default): a running stream keeps the
// process alive. The last stream's gate leaves the registry now: its late calls, if any still
// come, are refused without being counted in stats().
void Texample::Start(Napi::Object module, const Options& options, Napi::Function on_done) {
  if (state_ != State::kIdle) throw std::runtime_error("the previous stream is still stopping");
  if (gate_ != nullptr) Registry::Get().EraseAll(gate_.get());
  napi_value name;
  napi_threadsafe_function function = nullptr;
  NAPI_THROW_IF_FAILED_VOID(env_,
                            napi_create_string_utf8(env_, "texample", NAPI_AUTO_LENGTH, &name));
  NAPI_THROW_IF_FAILED_VOID(
      env_, napi_create_threadsafe_function(env_, OpenMarker(env_), nullptr, name,
                                            /*max_queue_size=*/0, /*initial_thread_count=*/1,
                                            /*thread_finalize_data=*/this, FinalizeFunction,
                                            /*context=*/this, AnswerDoorbell, &function));
  gate_ = std::make_shared<Gate>(function);
  const uint64_t id = Registry::Get().Add(gate_);
  stop_at_once_ = options.stop_at_once;
  stamp_ = options.feed.stamp != 0;
  takes_.clear();
  next_ = 0;
  backlog_ = 0;
  ended_ = false;
  handled_ = 0;
  StartTurns(options.turn_budget);
  counter_.Reset();
  module_ = Napi::Persistent(module);
  on_done_ = Napi::Persistent(on_done);
  state_ = State::kRunning;
  feed_error error{};
  const int failed =
      feed_subscribe(OnEvent, IdToUserData(id), &options.feed, &subscription_, &error);
  if (failed == 0) return;
  subscription_ = nullptr;  // the library stopped and waited for the threads it had started
  failure_ = "could not create producer thread " + std::to_string(error.thread) + " of " +
             std::to_string(error.threads) + ": " + std::strerror(failed);
  EndStream(/*at_once=*/false);
}
// excerpt-end: start

// excerpt-begin: end-stream
// Main thread. Ends the stream's calls, in the order the flavour needs:
// - wait: unsubscribe first; once it returns no library thread is inside OnEvent or will enter
//   it, so closing the gate afterwards refuses nothing, and stats() is final when stop()
//   resolves. The wait is for callbacks in flight, a lock and a push each: OnEvent never waits
//   for the main thread, so this cannot deadlock, even from inside the JS callback.
// - at once: close the gate first, so that every call from now on is refused, then unsubscribe,
//   which returns at once; the library's threads go on calling for up to lateMs, each call is
//   refused and counted in stats().late, and the library stops calling after the first refusal.
// Either way the gate gives back the function's count, and its finalizer settles the stream.
void Texample::EndStream(bool at_once) {
  state_ = State::kStopping;
  if (at_once) {
    gate_->Close();
    if (subscription_ != nullptr) feed_unsubscribe(subscription_, FEED_UNSUBSCRIBE_AT_ONCE);
  } else {
    if (subscription_ != nullptr) feed_unsubscribe(subscription_, FEED_UNSUBSCRIBE_WAIT);
    gate_->Close();
  }
  subscription_ = nullptr;
}

// Main thread. stop() drops what is still queued: nothing is delivered after it, even from a
// ring already queued (Drain sees the state).
void Texample::Stop() {
  if (state_ != State::kRunning) return;
  EndStream(stop_at_once_);
}
// excerpt-end: end-stream

// excerpt-begin: drain
// At most this many calls under one handle scope: a scope per 1000 calls costs little next to a
// scope per call, and keeps the handles a long turn makes (two numbers per item) few.
constexpr uint64_t kItemsPerScope = 1000;

// Main thread, once per ring. A null env or no function: the function has closed, and `context`
// may be freed already (a teardown), so nothing is touched.
void AnswerDoorbell(napi_env env, napi_value open_marker, void* context, void*) {
  if (env == nullptr || open_marker == nullptr) return;
  static_cast<Texample*>(context)->Drain(env);
}

// Main thread, inside the callback scope Node opens for one ring. Takes everything the gate holds
// (clearing its ring flag first, under its mutex), answers the replies, and delivers what is left
// of this loop turn's budget. If items are left, the ring for them waits for the next loop turn
// (RingNextTurn). Once the library has reported the end and every item is handled, it ends the
// stream.
void Texample::Drain(napi_env env) {
  // This turn's budget is spent and TurnEnd() will ring: a library thread's ring that Node
  // dispatches in the same turn is answered then. The gate's flag stays set, so none rings
  // meanwhile, and what they offer waits in the gate.
  if (ring_deferred_) return;
  bool ended = false;
  gate_->TakeAll(take_, replies_, ended);
  ended_ = ended_ || ended;
  if (!take_.empty()) {  // kept as taken, never copied: a producer faster than JS piles up here
    backlog_ += take_.size();
    takes_.push_back(std::move(take_));  // leaves take_ empty, without blocks
  }
  if (state_ != State::kRunning) return;  // stop(), a teardown: Finalize() counts what is left
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  Resolve(env, replies_);
  replies_.clear();
  const bool js_runs = Deliver(env);
  napi_close_handle_scope(env, scope);
  if (!js_runs) return;                   // no JS can run here: Finalize() counts what is left
  if (state_ != State::kRunning) return;  // stop() from the callback
  if (backlog_ != 0) {
    RingNextTurn();  // the rest in the next loop turn
  } else if (ended_) {
    EndStream(/*at_once=*/false);  // every thread has finished: the unsubscribe returns at once
  }
}

// Main thread. What is left of this loop turn's budget, oldest first, kItemsPerScope calls per
// handle scope. `callback` is looked up once per drain, so a replacement takes effect from the
// next one; if it is not a function, the items are dropped. Returns false when JS can no longer
// run here.
bool Texample::Deliver(napi_env env) {
  counter_.QueueDepth(backlog_);
  if (turn_used_ >= turn_budget_) return true;
  ScheduleTurnEnd();
  const uint64_t iteration = iterations_.Current();
  const napi_value module = module_.Value();
  const napi_value callback = LookUpCallback(module);
  uint64_t budget = turn_budget_ - turn_used_;
  while (budget != 0 && backlog_ != 0 && state_ == State::kRunning) {
    const uint64_t items = std::min({budget, backlog_, kItemsPerScope});
    budget -= items;
    turn_used_ += items;
    if (!CallEach(env, module, callback, items, iteration)) return false;
  }
  return true;
}

// Main thread. The next `items` of the backlog, one JS call each, under one handle scope, counted
// once at the end. An exception is reported as 'uncaughtException' and delivery goes on; a call
// that runs no JS (a worker being terminated) ends delivery, and returns false.
bool Texample::CallEach(napi_env env, napi_value module, napi_value callback, uint64_t items,
                        uint64_t iteration) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  uint64_t handled = 0;
  uint64_t delivered = 0;
  bool js_runs = true;
  while (handled != items && js_runs && state_ == State::kRunning) {
    const Item& item = takes_.front()[next_++];
    ++handled;
    if (callback != nullptr) {
      napi_value argv[2];
      js_runs = napi_create_double(env, static_cast<double>(item.value), &argv[0]) == napi_ok &&
                (!stamp_ ||
                 napi_create_double(env, static_cast<double>(item.sent_ns), &argv[1]) == napi_ok) &&
                CallIntoJs(callback, module, stamp_ ? 2 : 1, argv);
      if (js_runs) ++delivered;  // else this item is dropped, and Finalize() counts the rest
    }
    if (next_ == takes_.front().size()) {  // its blocks go back to the gate at the next take
      take_ = std::move(takes_.front());
      takes_.pop_front();
      next_ = 0;
    }
  }
  napi_close_handle_scope(env, scope);
  backlog_ -= handled;
  handled_ += handled;
  counter_.Delivered(iteration, delivered);
  counter_.Dropped(handled - delivered);
  return js_runs;
}
// excerpt-end: drain

// excerpt-begin: next-turn
// A ring from the main thread would not wait for the next loop turn: Node's dispatcher calls
// call_js again, in the same turn, for every call that arrives while it dispatches (up to 999),
// so a self-ring, or a library thread's, would let a library faster than JS hold the loop for
// about 1000 budgets (chapter 4's doorbell has the measurements). A loop turn is marked instead
// with setImmediate, which every runtime runs once per turn, after its I/O callbacks: on Node in
// the check phase, after the poll phase in which the function's uv_async_t called call_js.
// TurnEnd() resets the turn's count and makes the ring for what is left; on Node that ring's
// uv_async_send lands in the next iteration's poll phase, after this iteration's timers and
// beside every I/O event ready by then.

// Main thread, from Start(): a new stream's turns, counted apart from any older stream's.
void Texample::StartTurns(uint64_t budget) {
  turn_budget_ = budget;
  turn_used_ = 0;
  turn_end_scheduled_ = false;
  ring_deferred_ = false;
  ++stream_;
}

// Main thread, at this turn's first delivery: TurnEnd() at the end of the turn. Without a
// setImmediate (the binding used without index.js), or if it throws, the turn ends now.
void Texample::ScheduleTurnEnd() {
  if (turn_end_scheduled_ || next_turn_.IsEmpty()) return;
  napi_value argv[2] = {turn_end_.Value(), nullptr};
  if (napi_create_double(env_, static_cast<double>(stream_), &argv[1]) != napi_ok) return;
  turn_end_scheduled_ = CallIntoJs(next_turn_.Value(), Napi::Env(env_).Undefined(), 2, argv);
}

// Main thread, with items left and this turn's budget spent. The gate holds the ring back, so
// that no library thread rings meanwhile, and TurnEnd() makes it. Where no TurnEnd() is on its
// way (no setImmediate), rings at once, as a library thread would.
void Texample::RingNextTurn() {
  if (turn_end_scheduled_) {
    gate_->HoldRing();
    ring_deferred_ = true;
    return;
  }
  turn_used_ = 0;
  gate_->RingAgain();
}

// Main thread, from setImmediate: the turn is over. The ring for the deferred backlog, unless
// the stream was stopped or is not the one that scheduled this (an older stream's TurnEnd() may
// run after the next start()).
void Texample::TurnEnd(uint64_t stream) {
  if (stream != stream_) return;
  turn_end_scheduled_ = false;
  turn_used_ = 0;
  if (!ring_deferred_) return;
  ring_deferred_ = false;
  if (state_ == State::kRunning) gate_->RingHeld();
}

// Main thread, when index.js loads: the function that marks a loop turn.
void Texample::UseNextTurn(napi_value schedule) {
  Napi::Env env(env_);
  next_turn_ = Napi::Persistent(Napi::Function(env, schedule));
  turn_end_ = Napi::Persistent(Napi::Function::New(
      env,
      [](const Napi::CallbackInfo& info) {
        static_cast<Texample*>(info.Data())
            ->TurnEnd(uint64_t(info[0].As<Napi::Number>().DoubleValue()));
      },
      "texampleTurnEnd", this));
}
// excerpt-end: next-turn

// excerpt-begin: request
// Main thread: texample.request(value). The library answers on a thread of its own; the answer
// comes back through the stream's gate, under an id of its own registered to that gate, and
// resolves the promise in Drain(). A request needs a running stream (the library session is the
// subscription): otherwise the promise rejects at once. When the stream ends before the answer
// (stop(), the end of its count), the promise is rejected with an Error saying so, and the late
// answer is refused like a late item (stats().lateReplies). When the environment goes away no JS
// can run: the promise is never settled, and the answer is refused all the same.
napi_value Texample::Request(uint64_t value, uint32_t delay_ms) {
  napi_value promise = nullptr;
  napi_deferred deferred = nullptr;
  NAPI_THROW_IF_FAILED(env_, napi_create_promise(env_, &deferred, &promise), nullptr);
  std::string refusal;
  if (state_ != State::kRunning) {
    refusal = "texample.request(): no stream is running; start() one first";
  } else {
    const uint64_t id = Registry::Get().Add(gate_);
    const feed_request request{value, delay_ms};
    const int failed = feed_submit(&request, OnReply, IdToUserData(id));
    if (failed == 0) {
      pending_.emplace(id, deferred);
      return promise;
    }
    Registry::Get().Erase(id);
    refusal = std::string("texample.request(): the library could not start its reply thread: ") +
              std::strerror(failed);
  }
  napi_value message = nullptr;
  napi_value error = nullptr;
  NAPI_THROW_IF_FAILED(
      env_, napi_create_string_utf8(env_, refusal.c_str(), refusal.size(), &message), nullptr);
  NAPI_THROW_IF_FAILED(env_, napi_create_error(env_, nullptr, message, &error), nullptr);
  NAPI_THROW_IF_FAILED(env_, napi_reject_deferred(env_, deferred, error), nullptr);
  return promise;
}

// Main thread, inside Drain's handle scope.
void Texample::Resolve(napi_env env, const std::vector<Reply>& replies) {
  for (const Reply& reply : replies) {
    const auto found = pending_.find(reply.request);
    if (found == pending_.end()) continue;
    napi_value value = nullptr;
    if (napi_create_double(env, static_cast<double>(reply.value), &value) != napi_ok ||
        napi_resolve_deferred(env, found->second, value) != napi_ok) {
      return;  // no JS can run here; the stream's end deals with the rest
    }
    pending_.erase(found);
  }
}

// Main thread, at the end of a stream, where JS may run.
void Texample::RejectPending(const char* why) {
  for (const auto& [id, deferred] : pending_) {
    napi_value message = nullptr;
    napi_value error = nullptr;
    if (napi_create_string_utf8(env_, why, NAPI_AUTO_LENGTH, &message) != napi_ok ||
        napi_create_error(env_, nullptr, message, &error) != napi_ok ||
        napi_reject_deferred(env_, deferred, error) != napi_ok) {
      break;
    }
  }
  pending_.clear();
}
// excerpt-end: request

// excerpt-begin: report
// Main thread: function.call(receiver, ...argv). Returns false when JS can no longer run here.
bool Texample::CallIntoJs(napi_value function, napi_value receiver, size_t argc,
                          const napi_value* argv) {
  if (napi_call_function(env_, receiver, function, argc, argv, nullptr) == napi_ok) return true;
  return ReportPendingException();
}

// Main thread. Null when `callback` is not a function; a getter that throws is reported.
napi_value Texample::LookUpCallback(napi_value module) {
  napi_value callback = nullptr;
  napi_valuetype type = napi_undefined;
  if (napi_get_named_property(env_, module, "callback", &callback) != napi_ok) {
    ReportPendingException();
    return nullptr;
  }
  if (napi_typeof(env_, callback, &type) != napi_ok || type != napi_function) return nullptr;
  return callback;
}

// Main thread, after a call into JS failed: the exception, any value, null too, is handed to
// napi_fatal_exception ('uncaughtException', or the end of the process), as chapter 4 explains.
// False when JS can no longer run here: none is pending (a worker being terminated runs no JS),
// or the report ends the process (Deno returns from it; ReportUncaught in common/runtime.h).
bool Texample::ReportPendingException() {
  bool pending = false;
  napi_value exception = nullptr;
  if (napi_is_exception_pending(env_, &pending) != napi_ok || !pending) return false;
  if (napi_get_and_clear_last_exception(env_, &exception) != napi_ok) return false;
  return texample::ReportUncaught(env_, exception);
}
// excerpt-end: report

// excerpt-begin: finalize
// Main thread, from the function's finalizer: after the gate gave back its count (the stream
// ended), or after the environment's cleanup closed the function. Every item the gate accepted
// and no drain handled is counted as dropped; the queue is freed. Pending requests are rejected,
// unless the environment is going away (no JS may run). In a teardown, the inner part is freed
// here and the cleanup hook reports that it has finished; the gate lives on while library threads
// hold it, closed.
void FinalizeFunction(napi_env, void* data, void*) { static_cast<Texample*>(data)->Finalize(); }

void Texample::Finalize() {
  gate_->Forget();
  gate_->DiscardQueued();
  counter_.Dropped(gate_->Accepted() - handled_);
  handled_ = gate_->Accepted();
  takes_.clear();
  next_ = 0;
  backlog_ = 0;
  if (cleanup_hook_ != nullptr) {  // the environment is going away: TearDown() ran
    napi_async_cleanup_hook_handle hook = cleanup_hook_;
    delete this;
    texample::FinishAsyncCleanup(hook);
    return;
  }
  RejectPending("texample.request(): the stream ended before the library answered");
  Settle();
}

// Main thread. Resolves start()'s promise with the final counters (start() may be called again
// from there: every member is reset before JS runs).
void Texample::Settle() {
  Napi::Env env(env_);
  const texample::StatsSnapshot snapshot = Stats();
  const uint64_t late = gate_->Late();
  const uint64_t late_replies = gate_->LateReplies();
  Napi::FunctionReference on_done = std::move(on_done_);
  const std::string failure = std::move(failure_);
  failure_.clear();
  module_.Reset();
  state_ = State::kIdle;
  napi_value args[2];
  size_t argc = 0;
  try {  // node-addon-api throws when no object can be made: a worker being terminated
    args[argc++] = StatsObject(env, snapshot, late, late_replies);
    if (!failure.empty()) args[argc++] = Napi::String::New(env, failure);
  } catch (const Napi::Error&) {  // no JS can run here: nobody is left to settle for
    return;
  }
  CallIntoJs(on_done.Value(), env.Undefined(), argc, args);
}
// excerpt-end: finalize

texample::StatsSnapshot Texample::Stats() const {
  return counter_.Snapshot(gate_ == nullptr ? 0 : gate_->Accepted(), 0);
}

// stats(): the contract's counters, and the late calls of the current or last stream.
Napi::Object Texample::StatsObject(Napi::Env env) const {
  return StatsObject(env, Stats(), gate_ == nullptr ? 0 : gate_->Late(),
                     gate_ == nullptr ? 0 : gate_->LateReplies());
}

Napi::Object Texample::StatsObject(Napi::Env env, const texample::StatsSnapshot& snapshot,
                                   uint64_t late, uint64_t late_replies) {
  Napi::Object stats = texample::StatsObject(env, snapshot);
  stats.Set("late", static_cast<double>(late));
  stats.Set("lateReplies", static_cast<double>(late_replies));
  return stats;
}

// excerpt-begin: teardown
// Main thread of an environment that is going away (a worker terminated, the process exiting by
// itself). No JS may run, and nothing here waits for a library thread: the gate closes (every
// later call is refused; the function's count is given back under its mutex), the library is told
// to unsubscribe at once, and the gate leaves the registry, so late calls find nothing. Node's
// own cleanup hook for the function may have run first (hooks run newest first, and the function
// is newer than this hook): it marked the function closing, and a library thread that rang since
// then was refused and closed the gate (Gate::RingLocked). Both hooks run before any close
// callback, so the function is still allocated here, and is freed only after the gate is closed.
// The finalizer that follows frees the inner part.
void Texample::TearDown(napi_async_cleanup_hook_handle hook) {
  const bool streaming = state_ != State::kIdle;
  if (streaming) {
    state_ = State::kStopping;
    gate_->Close();
    if (subscription_ != nullptr) feed_unsubscribe(subscription_, FEED_UNSUBSCRIBE_AT_ONCE);
    subscription_ = nullptr;
  }
  if (gate_ != nullptr) Registry::Get().EraseAll(gate_.get());
  pending_.clear();  // promises of an environment that is going away: never settled
  module_.Reset();
  on_done_.Reset();
  next_turn_.Reset();  // no JS runs from here on: no setImmediate marks a turn any more
  turn_end_.Reset();
  if (!streaming) {
    delete this;
    texample::FinishAsyncCleanup(hook);
    return;
  }
  cleanup_hook_ = hook;
}
// excerpt-end: teardown

// --- JS bindings ---------------------------------------------------------------------------

Texample* Self(const Napi::CallbackInfo& info) { return static_cast<Texample*>(info.Data()); }

double NumberField(Napi::Object object, const char* name) {
  return object.Get(name).As<Napi::Number>().DoubleValue();
}

// options were checked by common/options.js and start-options.js; this only converts them.
Options ToOptions(Napi::Object options) {
  Options out;
  const double count = NumberField(options, "count");
  out.feed.count = std::isinf(count) ? UINT64_MAX : uint64_t(count);
  out.feed.period_ns = uint64_t(NumberField(options, "periodNs"));
  out.feed.producers = unsigned(NumberField(options, "producers"));
  out.feed.stamp = options.Get("stamp").ToBoolean().Value() ? 1 : 0;
  if (options.Has("lateMs")) out.feed.late_ms = uint32_t(NumberField(options, "lateMs"));
  if (options.Has("unsubscribe")) {
    out.stop_at_once = options.Get("unsubscribe").As<Napi::String>().Utf8Value() == "at-once";
  }
  if (options.Has("turnBudget")) {  // always there (common/turn-budget.js); 0: Infinity
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
  return Self(info)->StatsObject(info.Env());
}

// request(value, delayMs), both checked by index.js.
Napi::Value RequestMethod(const Napi::CallbackInfo& info) {
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "request(value, delayMs): wrong arguments");
  }
  return Napi::Value(info.Env(),
                     Self(info)->Request(uint64_t(info[0].As<Napi::Number>().DoubleValue()),
                                         uint32_t(info[1].As<Napi::Number>().DoubleValue())));
}

// The library's process-wide diagnostics (feed_stats), and the calls whose id was no longer
// registered: what the tests compare stats().late with.
Napi::Value LibraryStatsMethod(const Napi::CallbackInfo& info) {
  struct feed_stats stats {};
  feed_stats(&stats);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("threadsRunning", static_cast<double>(stats.threads_running));
  out.Set("calls", static_cast<double>(stats.calls));
  out.Set("refused", static_cast<double>(stats.refused));
  out.Set("replies", static_cast<double>(stats.replies));
  out.Set("refusedReplies", static_cast<double>(stats.refused_replies));
  out.Set("callsAfterUnsubscribe", static_cast<double>(stats.calls_after_unsubscribe));
  out.Set("unmatched", static_cast<double>(Registry::Get().Unmatched()));
  return out;
}

void TearDownHook(napi_async_cleanup_hook_handle hook, void* arg) {
  static_cast<Texample*>(arg)->TearDown(hook);
}

// excerpt-begin: init
// Runs once in every environment that loads the addon. The cleanup hook is asynchronous
// (NAPI_VERSION 8): Node waits for it to report that it has finished, which it does once the
// stream's function has been finalized.
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* self = new Texample(env);
  if (napi_add_async_cleanup_hook(env, TearDownHook, self, nullptr) != napi_ok) {
    Napi::Error::Fatal("texample Init", "napi_add_async_cleanup_hook failed");
  }
  exports.Set("start", Napi::Function::New(env, StartMethod, "start", self));
  exports.Set("stop", Napi::Function::New(env, StopMethod, "stop", self));
  exports.Set("stats", Napi::Function::New(env, StatsMethod, "stats", self));
  exports.Set("request", Napi::Function::New(env, RequestMethod, "request", self));
  exports.Set("libraryStats", Napi::Function::New(env, LibraryStatsMethod, "libraryStats"));
  exports.Set("useNextTurn",
              Napi::Function::New(
                  env, [](const Napi::CallbackInfo& info) { Self(info)->UseNextTurn(info[0]); },
                  "useNextTurn", self));
  return exports;
}
// excerpt-end: init

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
