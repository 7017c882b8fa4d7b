// Chapter 5: the fast path. A bounded lock-free ring per producer thread (ring.h), one
// uv_async_t sent only when the main thread may be asleep, every queued item drained per wake-up
// with one HandleScope per 1000 calls, and a batched mode that hands JS one Float64Array of items
// per wake-up. Written with node-addon-api; the per-item loops call Node-API's C functions
// directly, as the JS-call floor it is measured against does.
#include <napi.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "asymmetric_fence.h"
#include "loop_iteration.h"
#include "producer.h"
#include "ring.h"
#include "stats.h"
#include "stats_object.h"

namespace {

using texample::Item;
using texample::Ring;
using texample::StatsObject;

// One HandleScope per this many calls: a scope per call costs about a quarter of the call
// (bench/floor), and 1000 numbers alive at once cost nothing worth counting.
constexpr uint64_t kCallsPerScope = 1000;

// What start() asked for: the common options, and this chapter's two.
struct Options {
  texample::StreamOptions stream;
  bool batch = false;          // one call per wake-up with Float64Arrays, instead of one per item
  uint64_t ring_size = 65536;  // slots per producer's ring, a power of two
  uint64_t poll_ns = 0;        // busy-poll window after a delivery (pollUs), 0: none
  uint64_t turn_budget = UINT64_MAX;  // items one wake-up may take (turnBudget)
};

// Main thread, between two looks at the rings while busy-polling: a spin-wait hint, which also
// leaves the core's other hardware thread, if any, room to run.
void PauseBriefly() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Values and send times are below 2^63 (values below 2^53, by the contract), so the signed
// conversion, a single instruction, is exact where the unsigned one would need a branch.
double ToNumber(uint64_t value) { return static_cast<double>(static_cast<int64_t>(value)); }

// excerpt-begin: state
// One per environment (the main thread and each worker_thread that loads the addon), freed by
// the environment's cleanup hook. A stream opens the uv_async_t and closes it when it ends, so
// nothing is left behind between streams.
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

 private:
  enum class State { kIdle, kRunning, kStopping, kClosing };

  Ring& RingOf(const Item& item);
  void WakeConsumerIfAsleep();
  static void OnWakeUp(uv_async_t* async);
  static void OnClosed(uv_handle_t* handle);
  uv_handle_t* Handle() { return reinterpret_cast<uv_handle_t*>(&async_); }
  void Drain();
  void DeliverSnapshot();
  uint64_t TakeSnapshot(uint64_t limit);
  void Deliver();
  Napi::Function LookUpCallback(Napi::Object module);
  bool CallEach(napi_value module, napi_value callback, Ring& ring, uint64_t end,
                uint64_t iteration);
  bool CallOnce(napi_value module, napi_value callback, uint64_t iteration);
  Napi::ArrayBuffer BatchBuffer(Napi::Reference<Napi::ArrayBuffer>& buffer, uint64_t count);
  void CopyItems(Ring& ring, uint64_t end, double* values, double* stamps);
  bool ReportPendingException();
  bool ReportException(const Napi::Error& error);
  void DropSnapshot();
  bool AnythingQueued() const;
  bool PollForWork() const;
  void SleepOrComeBack(bool took_items);
  void End();
  void Settle();

  // Set at construction, read-only after: any thread.
  const Napi::Env env_;
  uv_loop_t* const loop_;
  const texample::LoopIterations iterations_;  // for the stats only
  const texample::AsymmetricFence fence_;

  // Written by the main thread before the producers start, read-only while they run.
  unsigned producer_count_ = 1;
  std::unique_ptr<Ring[]> rings_;  // ring k: producer k's; each ring aligns its own fields

  // Shared by the producers and the main thread. Cache lines of their own: every push reads
  // armed_, and the main thread writes it only when it goes to sleep.
  alignas(64) std::atomic<bool> armed_{false};  // the main thread may be asleep: send
  // Teardown: a producer waiting for room gives up.
  alignas(64) std::atomic<bool> abandoned_{false};
  alignas(64) uv_async_t async_;  // producers: uv_async_send only; main thread: everything else
  alignas(64) texample::ProducerGroup<Texample> producers_;  // started, joined by the main thread

  // Main thread only.
  alignas(64) State state_ = State::kIdle;
  bool stamp_ = false;
  bool batch_ = false;
  uint64_t poll_ns_ = 0;           // see PollForWork(); the two times below only with it
  uint64_t wake_up_began_ns_ = 0;  // when the current callback began
  uint64_t last_delivery_ns_ = 0;  // when the latest delivery ended (0: none yet)
  std::vector<uint64_t> ends_;     // per ring: one past the last item this wake-up takes

  // The turn budget (turnBudget): what one wake-up may take, and where the next one starts.
  uint64_t turn_budget_ = UINT64_MAX;  // items one wake-up may take
  bool snapshot_cut_ = false;          // the latest snapshot left items behind
  unsigned first_ring_ = 0;            // the ring a cut snapshot starts with: turns rotate
  texample::DeliveryCounter counter_;
  Napi::ObjectReference module_;
  Napi::FunctionReference on_done_;
  std::optional<Napi::AsyncContext> async_context_;
  Napi::Reference<Napi::ArrayBuffer> values_buffer_;  // batch mode: item values, as doubles
  Napi::Reference<Napi::ArrayBuffer> stamps_buffer_;  // batch mode with stamp: send times
  std::string failure_;  // why the stream was cut short (a thread not created), or empty
  napi_async_cleanup_hook_handle cleanup_hook_ = nullptr;  // set by TearDown, used by OnClosed
};
// excerpt-end: state

// The loop of the environment that `env` belongs to.
uv_loop_t* EventLoop(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    throw Napi::Error::New(env, "texample: napi_get_uv_event_loop failed");
  }
  return loop;
}

Texample::Texample(Napi::Env env) : env_(env), loop_(EventLoop(env)), iterations_(env) {}

// excerpt-begin: producer
// Producer thread. Producer k emits k, k+P, k+2P, … (common/producer.h), so an item's value names
// its producer and so its ring; with one producer there is no division to make.
Ring& Texample::RingOf(const Item& item) {
  return rings_[producer_count_ == 1 ? 0 : item.value % producer_count_];
}

// Producer thread. A full ring makes this producer wait (backpressure); nothing is dropped unless
// the environment is going away, when the item is refused and counted as dropped.
bool Texample::Push(const Item& item) {
  Ring& ring = RingOf(item);
  while (!ring.TryPush(item)) {
    if (!ring.WaitForRoom(abandoned_)) return false;
  }
  WakeConsumerIfAsleep();
  return true;
}

// The last producer thread, after its last push: the main thread must see the end even if it
// went to sleep with the rings empty.
void Texample::ProducersDone() { WakeConsumerIfAsleep(); }

// Producer thread, after it published an item (or, last, that all are done). Sends only if the
// main thread said it may be asleep; a busy stream makes no system call here. The fence orders
// this thread's store (the ring's tail, or the running count) before its load of armed_; the main
// thread stores armed_ and then loads the tails behind fence_.Heavy() (SleepOrComeBack), so at
// least one of the two sees the other's store. The exchange makes one thread the sender, among
// the producers and the main thread itself.
// The winner's send must not be lost, and uv_async_send starts with a relaxed load of the
// handle's pending flag: if it still reads the 1 of the send that started the main thread's
// current wake-up (which libuv cleared before calling Drain), it returns without waking the loop,
// and with armed_ now false nobody sends again. Acquire here pairs with the release of
// SleepOrComeBack's store of armed_: the main thread cleared the flag before that store, so this
// thread's load of the flag reads the clear or a later send. Light() is no help for this: it
// comes before the load of armed_, and is only a compiler barrier where membarrier serves.
void Texample::WakeConsumerIfAsleep() {
  fence_.Light();
  if (armed_.load(std::memory_order_relaxed) && armed_.exchange(false, std::memory_order_acquire)) {
    uv_async_send(&async_);
  }
}
// excerpt-end: producer

// excerpt-begin: callback
// Main thread, once per wake-up however many sends coalesced into it.
void Texample::OnWakeUp(uv_async_t* async) { static_cast<Texample*>(async->data)->Drain(); }

// Main thread. Nothing may be thrown into libuv: a Node-API call that fails outside the callback
// (the environment going away) is reported, and what this wake-up took is dropped.
void Texample::Drain() {
  if (state_ != State::kRunning && state_ != State::kStopping) return;
  if (poll_ns_ != 0) wake_up_began_ns_ = texample::MonotonicNs();
  bool producers_done;
  bool took_items;
  uint64_t budget = turn_budget_;  // what this wake-up may still take
  do {
    // Read "all done" before the tails: a producer's last push happens before it reports done
    // (acquire in AllDone), so if they were all done then, this pass takes the very last item,
    // unless the turn budget cut it short.
    producers_done = producers_.AllDone();
    const uint64_t taken = TakeSnapshot(budget);
    budget -= taken;
    took_items = taken > 0;
    if (took_items) DeliverSnapshot();
  } while (took_items && !producers_done && budget != 0 && PollForWork());  // pollUs: PollForWork
  if (producers_done && !snapshot_cut_) {
    End();
  } else {
    SleepOrComeBack(took_items);
  }
}

// Main thread. Hands what TakeSnapshot() took to JS. With pollUs, the window opens when the
// delivery ends (PollForWork).
void Texample::DeliverSnapshot() {
  try {
    Deliver();
  } catch (const Napi::Error& error) {
    ReportException(error);
  }
  DropSnapshot();  // what Deliver() could not hand to JS: nothing, unless JS cannot run
  if (poll_ns_ != 0) last_delivery_ns_ = texample::MonotonicNs();
}

// Main thread. Fixes what this wake-up takes: every item published so far, up to the ring's
// capacity per producer, however many sends coalesced, and at most `limit` items (what is left
// of the turn budget), ring after ring from first_ring_, which moves on when the budget cuts a
// snapshot short, so that no ring waits for the others turn after turn. Items published while it
// delivers, and those the budget leaves, wait for the next wake-up, which SleepOrComeBack sends
// to this thread: that lands in the next loop iteration's poll phase, after this iteration's
// setImmediate callbacks and timers, beside every I/O event ready by then.
uint64_t Texample::TakeSnapshot(uint64_t limit) {
  uint64_t queued = 0;
  uint64_t taken = 0;
  for (unsigned i = 0; i < producer_count_; ++i) {
    const unsigned k = (first_ring_ + i) % producer_count_;
    const uint64_t head = rings_[k].Head();
    const uint64_t available = rings_[k].Tail() - head;
    const uint64_t take = std::min(available, limit - taken);
    ends_[k] = head + take;
    queued += available;
    taken += take;
  }
  snapshot_cut_ = taken < queued;
  if (snapshot_cut_) first_ring_ = (first_ring_ + 1) % producer_count_;
  counter_.QueueDepth(queued);
  return taken;
}
// excerpt-end: callback

// excerpt-begin: sleep
// Main thread, at the end of a wake-up of a stream that goes on. Producers send only when they
// see armed_, so this thread sets it before it sleeps, and then looks once more: a producer that
// published just before the store may have read armed_ still false. fence_.Heavy() pairs with
// the producers' fence_.Light(): either that producer sees armed_ set and sends, or this look
// sees its item (or its end). If this look finds work, whoever clears armed_ first sends.
// The store is a release: libuv cleared the handle's pending flag before this wake-up's callback,
// and a producer that wins armed_ (an acquire) must see that clear, or its send would stop at
// the stale flag (WakeConsumerIfAsleep). This thread's own exchange needs no order: if it wins,
// it sends to itself.
// With work left over from this wake-up this thread does not sleep at all: it sends to itself,
// so that the next loop iteration (after timers and I/O had their turn) drains again.
void Texample::SleepOrComeBack(bool took_items) {
  if (!took_items && !AnythingQueued() && !PollForWork()) {
    armed_.store(true, std::memory_order_release);
    fence_.Heavy();
    if (!AnythingQueued() && !producers_.AllDone()) return;          // asleep: the next push sends
    if (!armed_.exchange(false, std::memory_order_relaxed)) return;  // a producer sent already
  }
  uv_async_send(&async_);
}

// Main thread.
bool Texample::AnythingQueued() const {
  for (unsigned k = 0; k < producer_count_; ++k) {
    if (rings_[k].Tail() != rings_[k].Head()) return true;
  }
  return false;
}
// excerpt-end: sleep

// excerpt-begin: poll
// Main thread, with pollUs: after a delivery, instead of sleeping at once, keep looking at the
// rings until poll_ns_ after that delivery ended; true as soon as an item (or the producers' end)
// is there. Drain() then delivers it in the same callback: no sleep, no wake-up between the
// cores, no loop iteration, which is the point. The cost is this thread's CPU while it looks, and
// the loop's timers and I/O, which wait: so one callback looks for at most poll_ns_ from its
// start, however many items keep arriving, and then returns to the loop. A delivery that ends
// past that point still gets its window: the callback ends with items taken, so it sends itself
// the next wake-up (SleepOrComeBack), which, after the loop has run timers and I/O once, looks
// until poll_ns_ after that delivery. The min() below is that rule: in a callback that has
// delivered, its start is the earlier time; in one that has not, the previous delivery's end.
// The rings are only read here (armed_ stays false, so producers do not send), and nothing of
// the sleep handshake changes.
// Each look reads every ring's tail, whose cache line the producer must then take back: a price
// paid only while the window is open. PauseBriefly() tells the core that this is a spin-wait.
bool Texample::PollForWork() const {
  if (poll_ns_ == 0) return false;
  const uint64_t until = std::min(last_delivery_ns_, wake_up_began_ns_) + poll_ns_;
  while (texample::MonotonicNs() < until) {
    if (AnythingQueued() || producers_.AllDone()) return true;
    PauseBriefly();
  }
  return false;
}
// excerpt-end: poll

// excerpt-begin: deliver
// Main thread. One callback scope per wake-up: microtasks and process.nextTick callbacks queued
// by the callback run once it closes, as after any other I/O callback. `callback` is looked up
// on the module once per wake-up, as in the original, so a replacement takes effect from the
// next wake-up; if it is not a function, the items are dropped. The module, the callback and
// the loop iteration are fetched once here, not once per item.
void Texample::Deliver() {
  Napi::HandleScope scope(env_);
  Napi::CallbackScope callback_scope(env_, *async_context_);
  Napi::Object module = module_.Value();
  Napi::Function callback = LookUpCallback(module);
  if (callback.IsEmpty()) return;  // DropSnapshot() counts the items
  const uint64_t iteration = iterations_.Current();
  if (batch_) {
    CallOnce(module, callback, iteration);
    return;
  }
  for (unsigned k = 0; k < producer_count_; ++k) {
    if (!CallEach(module, callback, rings_[k], ends_[k], iteration)) return;
  }
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
// excerpt-end: deliver

// excerpt-begin: call-each
// Main thread. One call per item of `ring` up to `end`, in order, and one HandleScope per
// kCallsPerScope calls; the argument array is reused. Each scope's worth of slots is released as
// soon as it is done, which may wake the ring's producer. An exception thrown by the callback is
// reported as 'uncaughtException' and delivery goes on with the next item. Returns false when JS
// can no longer run here (the environment is going away); the caller drops the rest.
bool Texample::CallEach(napi_value module, napi_value callback, Ring& ring, uint64_t end,
                        uint64_t iteration) {
  const size_t argc = stamp_ ? 2 : 1;
  napi_value argv[2];
  napi_value ignored;
  for (uint64_t position = ring.Head(); position < end;) {
    const uint64_t first = position;
    const uint64_t scope_end = std::min(end, position + kCallsPerScope);
    bool js_runs = true;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env_, &scope) != napi_ok) return false;
    for (; position < scope_end; ++position) {
      napi_create_double(env_, ToNumber(ring.ValueAt(position)), &argv[0]);
      if (argc == 2) napi_create_double(env_, ToNumber(ring.StampAt(position)), &argv[1]);
      if (napi_call_function(env_, module, callback, argc, argv, &ignored) != napi_ok &&
          !ReportPendingException()) {
        js_runs = false;
        break;
      }
    }
    napi_close_handle_scope(env_, scope);
    counter_.Delivered(iteration, position - first);
    ring.Release(position);
    if (!js_runs) return false;
  }
  return true;
}

// Main thread, after a call that did not return normally. A pending exception came from the
// callback: napi_fatal_exception emits 'uncaughtException', or ends the process when nothing
// handles it. No pending exception, or a report that fails, means JS cannot run here any more
// (a terminated worker: Node-API then refuses every call into JS).
bool Texample::ReportPendingException() {
  bool pending = false;
  napi_value error;
  if (napi_is_exception_pending(env_, &pending) != napi_ok || !pending) return false;
  if (napi_get_and_clear_last_exception(env_, &error) != napi_ok) return false;
  return napi_fatal_exception(env_, error) == napi_ok;
}

// Main thread. The same for an exception that node-addon-api has turned into a Napi::Error.
bool Texample::ReportException(const Napi::Error& error) {
  try {
    Napi::HandleScope scope(env_);
    return napi_fatal_exception(env_, error.Value()) == napi_ok;
  } catch (const Napi::Error&) {  // even reading the exception failed
    return false;
  }
}
// excerpt-end: call-each

// excerpt-begin: call-once
// Main thread, batch mode. Copies every item this wake-up takes into the stream's Float64Arrays
// (values, then send times with stamp), ring after ring, releasing each ring as soon as it is
// copied so that its producer refills it while JS runs, and then calls `callback` once with views
// of the items: callback(values) or callback(values, stamps). The views share the stream's
// buffers, which the next wake-up overwrites unless JS has transferred them (BatchBuffer).
// `delivered` counts items, not calls.
bool Texample::CallOnce(napi_value module, napi_value callback, uint64_t iteration) {
  uint64_t count = 0;
  for (unsigned k = 0; k < producer_count_; ++k) count += ends_[k] - rings_[k].Head();
  // Before any item is copied: if an allocation throws, DropSnapshot() counts them all.
  Napi::ArrayBuffer values_buffer = BatchBuffer(values_buffer_, count);
  Napi::ArrayBuffer stamps_buffer =
      stamp_ ? BatchBuffer(stamps_buffer_, count) : Napi::ArrayBuffer();
  double* values = static_cast<double*>(values_buffer.Data());
  double* stamps = stamp_ ? static_cast<double*>(stamps_buffer.Data()) : nullptr;
  uint64_t copied = 0;
  for (unsigned k = 0; k < producer_count_; ++k) {
    const uint64_t head = rings_[k].Head();
    CopyItems(rings_[k], ends_[k], values + copied, stamps ? stamps + copied : nullptr);
    copied += ends_[k] - head;
  }
  napi_value argv[2] = {nullptr, nullptr};
  napi_value ignored;
  bool js_runs = napi_create_typedarray(env_, napi_float64_array, count, values_buffer, 0,
                                        &argv[0]) == napi_ok &&
                 (!stamp_ || napi_create_typedarray(env_, napi_float64_array, count, stamps_buffer,
                                                    0, &argv[1]) == napi_ok);
  if (js_runs &&
      napi_call_function(env_, module, callback, stamp_ ? 2 : 1, argv, &ignored) != napi_ok) {
    js_runs = ReportPendingException();
  }
  if (!js_runs) {
    counter_.Dropped(count);
    return false;
  }
  counter_.Delivered(iteration, count);
  return true;
}

// Main thread, batch mode. The stream's buffer for a batch of `count` items. The views handed
// to JS share it, and the next wake-up reuses it while it is large enough. A callback may have
// transferred it instead (port.postMessage(values, [values.buffer]), structuredClone with
// transfer): it is then detached here, its data pointer null and its length 0, and the batch it
// held is the reader's to keep. Its replacement is sized to this batch, not to every ring
// together: a reader that transfers every batch keeps buffers as long as its batches, never
// producers × ringSize slots apiece. A buffer too small for the batch grows to twice its size
// (or to the batch, if longer), capped at every ring together, the longest batch there can be:
// a reader that keeps none sees at most log2(producers × ringSize) + 1 buffers in a stream. The
// first is made at the first wake-up, for its batch.
Napi::ArrayBuffer Texample::BatchBuffer(Napi::Reference<Napi::ArrayBuffer>& buffer,
                                        uint64_t count) {
  const size_t needed = count * sizeof(double);
  Napi::ArrayBuffer current = buffer.IsEmpty() ? Napi::ArrayBuffer() : buffer.Value();
  const bool reusable = !current.IsEmpty() && !current.IsDetached();
  if (reusable && current.ByteLength() >= needed) return current;
  const size_t largest = producer_count_ * rings_[0].Capacity() * sizeof(double);
  const size_t bytes =
      reusable ? std::min(std::max(needed, 2 * current.ByteLength()), largest) : needed;
  Napi::ArrayBuffer fresh = Napi::ArrayBuffer::New(env_, bytes);
  buffer = Napi::Persistent(fresh);
  return fresh;
}

// Main thread. Two tight loops rather than one with a test per item: the compiler vectorizes
// the conversion.
void Texample::CopyItems(Ring& ring, uint64_t end, double* values, double* stamps) {
  const uint64_t head = ring.Head();
  for (uint64_t position = head; position < end; ++position) {
    values[position - head] = ToNumber(ring.ValueAt(position));
  }
  if (stamps != nullptr) {
    for (uint64_t position = head; position < end; ++position) {
      stamps[position - head] = ToNumber(ring.StampAt(position));
    }
  }
  ring.Release(end);
}
// excerpt-end: call-once

// Main thread. Counts as dropped, and releases, whatever this wake-up took and did not deliver.
void Texample::DropSnapshot() {
  for (unsigned k = 0; k < producer_count_; ++k) {
    const uint64_t left = ends_[k] - rings_[k].Head();
    if (left == 0) continue;
    counter_.Dropped(left);
    rings_[k].Release(ends_[k]);
  }
}

// excerpt-begin: start
// Main thread. A stream allocates its rings, opens the handle (which keeps the process alive
// while it runs) and starts the producers. The main thread counts as asleep at first: armed_ is
// set, so the first push sends. A producer thread that cannot be created cuts the stream short:
// it ends as on stop(), and start()'s promise then rejects with the reason.
void Texample::Start(Napi::Object module, const Options& options, Napi::Function on_done) {
  if (state_ != State::kIdle) throw std::runtime_error("the previous stream is still closing");
  producer_count_ = options.stream.producers;
  rings_.reset(new Ring[producer_count_]);
  stamp_ = options.stream.stamp;
  for (unsigned k = 0; k < producer_count_; ++k) rings_[k].Allocate(options.ring_size, stamp_);
  ends_.assign(producer_count_, 0);
  turn_budget_ = options.turn_budget;
  snapshot_cut_ = false;
  first_ring_ = 0;
  batch_ = options.batch;
  poll_ns_ = options.poll_ns;
  last_delivery_ns_ = 0;  // no window before this stream's first delivery
  module_ = Napi::Persistent(module);
  on_done_ = Napi::Persistent(on_done);
  async_context_.emplace(env_, "texample");
  counter_.Reset();
  armed_.store(true, std::memory_order_relaxed);
  abandoned_.store(false, std::memory_order_relaxed);
  const int error = uv_async_init(loop_, &async_, OnWakeUp);
  if (error != 0) throw std::runtime_error(uv_strerror(error));
  async_.data = this;
  state_ = State::kRunning;
  failure_ = producers_.Start(options.stream, this);
  if (!failure_.empty()) Stop();
}
// excerpt-end: start

// excerpt-begin: stop
// Main thread. Asks the producers to stop before their next item and lets the stream end as a
// finite one does: the wake-ups go on until the last producer has finished, and deliver
// everything queued. Chapter 5 delivers on stop; it never drops. Joining here instead would
// deadlock with a producer waiting for room in a full ring, which only this thread can free.
// The send is a safety net, not part of the handshake: one more wake-up costs nothing here, and
// should a wake-up ever be lost (the sleep handshake is the subtlest code of the chapter), the
// stream still ends: that wake-up drains, frees room, and arms again.
void Texample::Stop() {
  if (state_ != State::kRunning) return;
  state_ = State::kStopping;
  producers_.RequestStop();
  uv_async_send(&async_);
}

// Main thread: the producers have finished and every item is delivered or dropped.
void Texample::End() {
  producers_.StopAndJoin();  // they have finished: this only reaps the threads
  rings_.reset();
  state_ = State::kClosing;
  uv_close(Handle(), OnClosed);
}

// Main thread, once libuv has finished with the handle: only now may its memory be reused.
void Texample::OnClosed(uv_handle_t* handle) {
  Texample* self = static_cast<Texample*>(handle->data);
  if (self->cleanup_hook_ != nullptr) {  // the environment is going away: TearDown() ran
    napi_async_cleanup_hook_handle hook = self->cleanup_hook_;
    delete self;
    texample::FinishAsyncCleanup(hook);  // tells Node this cleanup has finished
    return;
  }
  self->Settle();
}

// Main thread. Resolves start()'s promise with the final counters. The callback may start the
// next stream at once (an awaiting caller resumes inside it), so every member is reset, and the
// references moved out, before JS runs; none is touched after.
void Texample::Settle() {
  const texample::StatsSnapshot stats = Stats();
  Napi::AsyncContext context = std::move(*async_context_);
  async_context_.reset();
  Napi::ObjectReference module = std::move(module_);
  Napi::FunctionReference on_done = std::move(on_done_);
  const std::string failure = std::move(failure_);
  failure_.clear();
  values_buffer_.Reset();
  stamps_buffer_.Reset();
  state_ = State::kIdle;
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
// normally). No JS may run now. A producer waiting for room would wait for ever, so it is told
// to give up first (its item is refused: dropped); then the producers are joined (a send reads
// the handle, so none may follow the close), what is queued is dropped, and the handle closed.
void Texample::TearDown(napi_async_cleanup_hook_handle hook) {
  producers_.RequestStop();
  abandoned_.store(true, std::memory_order_relaxed);  // WakeProducer's mutex publishes it
  for (unsigned k = 0; rings_ && k < producer_count_; ++k) rings_[k].WakeProducer();
  producers_.StopAndJoin();
  if (rings_ && TakeSnapshot(UINT64_MAX) > 0) DropSnapshot();
  module_.Reset();
  on_done_.Reset();
  async_context_.reset();
  values_buffer_.Reset();
  stamps_buffer_.Reset();
  if (state_ == State::kIdle) {
    delete this;
    texample::FinishAsyncCleanup(hook);
    return;
  }
  cleanup_hook_ = hook;
  if (state_ == State::kClosing) return;  // OnClosed() is on its way
  state_ = State::kClosing;
  uv_close(Handle(), OnClosed);
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
  if (options.Has("batch")) out.batch = options.Get("batch").ToBoolean().Value();
  if (options.Has("ringSize")) out.ring_size = uint64_t(NumberField(options, "ringSize"));
  if (options.Has("pollUs")) out.poll_ns = uint64_t(NumberField(options, "pollUs")) * 1000;
  if (options.Has("turnBudget")) {  // always there (common/turn-budget.js); 0 stands for Infinity
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
// that it has finished, which it does only once the stream's handle is closed.
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
