// Chapter 5's recipe: a lock-free ring between the producer thread and the main thread, and a
// uv_async_t sent only when the main thread may be asleep, so that a busy stream makes no system
// call and takes no lock per item. A wake-up delivers a ring at most, and one that leaves items
// comes back from setImmediate, in the next loop turn.
// ../texample.cc adds: a ring per producer for several producers, a producer that sleeps on a
// full ring instead of yielding (../ring.h), the asymmetric fence that takes the fence off the
// producer's side (../asymmetric_fence.h, membarrier), one HandleScope per 1000 calls, a batch
// mode that hands JS a Float64Array per wake-up, and stats.
// Per-item callbacks at many items a second: ../batch.js, the chapter 5 trampoline (a per-item
// callback over batches), calls the reader's per-item callback from a JS loop over each wake-up's
// batch, one native-to-JS call per wake-up instead of one per item.
#include <napi.h>
#include <uv.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

// binding.gyp's target_name, which node-gyp defines as NODE_GYP_MODULE_NAME, as a string.
#define STRINGIFY(name) #name
#define NAME_OF(name) STRINGIFY(name)

namespace {

// excerpt-begin: payload
// The payload. Built on the producer thread into a ring slot, moved out and freed by the main
// thread: the string changes owner, and the ring's indices say who owns a slot (below).
struct Item {
  uint64_t seq;
  std::string text;
};
// excerpt-end: payload

// excerpt-begin: deliver
// Main thread: on_item(seq, text), with Node-API's C functions, which report failure as a status
// instead of throwing. A call fails in two cases. The callback threw: the exception is reported as
// 'uncaughtException', as Node does for its own callbacks. Or JS can no longer run here (a worker
// being terminated): then napi_fatal_exception fails too, and false tells the caller to stop.
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

constexpr uint64_t kSlots = 1024;  // the ring's capacity, a power of two

// excerpt-begin: handle
// One per environment (the main thread, each worker_thread): no globals. Its uv_async_t lives as
// long as the environment: opened here, referenced only while a stream runs, and closed by the
// environment's cleanup hook, which frees this object once libuv is done with the handle.
class Stream {
 public:
  explicit Stream(Napi::Env env) : env_(env), context_(env, NAME_OF(NODE_GYP_MODULE_NAME)) {
    uv_loop_t* loop = nullptr;  // this environment's loop: a worker_thread has its own
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no libuv loop");
    // Also starts the handle, referenced: it would hold the loop (the process, the worker) open
    // for good, so it is unreferenced at once; Start() references it and Stop() lets go again.
    const int error = uv_async_init(
        loop, &async_, [](uv_async_t* async) { static_cast<Stream*>(async->data)->Drain(); });
    if (error) throw Napi::Error::New(env, std::string("uv_async_init: ") + uv_strerror(error));
    async_.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  }
  // excerpt-end: handle
  // Only TearDown's close callback deletes a Stream, stopped by then: a no-op that keeps a rule
  // true on any path, no Stream is freed while its producer thread may still read it.
  ~Stream() { Stop(); }

  // excerpt-begin: start-stop
  // Main thread: start(count, intervalMs, onItem), arguments checked by index.js.
  void Start(const Napi::CallbackInfo& info) {
    if (producer_.joinable()) throw Napi::Error::New(env_, "a stream is already running");
    stopping_.store(false, std::memory_order_relaxed);
    armed_.store(true, std::memory_order_relaxed);  // asleep, as far as the first publish knows
    try {  // creating the thread publishes the stores above to it
      producer_ = std::thread(
          &Stream::Produce, this, info[0].As<Napi::Number>().Int64Value(),
          std::chrono::duration<double, std::milli>(info[1].As<Napi::Number>().DoubleValue()));
    } catch (const std::system_error& error) {
      throw Napi::Error::New(env_, std::string("no producer thread: ") + error.what());
    }
    on_item_ = Napi::Persistent(info[2].As<Napi::Function>());  // before the first wake-up
    come_back_soon_ = Napi::Persistent(info[3].As<Napi::Function>());
    // A running stream keeps the loop alive, even after its last item.
    uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
  }

  // Main thread, also from inside on_item. Wakes the producer if it waits (its interval, a full
  // ring), joins it and drops what it published: once this returns, on_item is not called again.
  void Stop() {
    if (!producer_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);  // else the producer could miss the notify
      stopping_.store(true, std::memory_order_relaxed);
    }
    wake_.notify_one();
    producer_.join();  // orders the producer's last writes before the reads below
    for (const uint64_t tail = tail_.load(std::memory_order_relaxed); head_ < tail; ++head_) {
      slots_[head_ % kSlots] = Item{};  // dropped: freed here. And head_ at the tail ends the loop
    }                                   // in Drain() when on_item called stop()
    released_.store(head_, std::memory_order_relaxed);  // the next stream starts on an empty ring
    on_item_.Reset();
    uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  }
  // excerpt-end: start-stop

  // excerpt-begin: teardown
  // Main thread of an environment going away (a worker terminated, the process exiting): an
  // asynchronous cleanup hook, as closing a handle is asynchronous. No JS may run. Join first: a
  // send reads the handle, so none may follow the close. The memory goes in the close callback,
  // where removing the hook tells Node that it may free the loop once we return.
  static void TearDown(napi_async_cleanup_hook_handle, void* arg) {
    auto* self = static_cast<Stream*>(arg);
    self->Stop();
    uv_close(reinterpret_cast<uv_handle_t*>(&self->async_), [](uv_handle_t* handle) {
      std::unique_ptr<Stream> self(static_cast<Stream*>(handle->data));
      if (self->hook_ != nullptr) napi_remove_async_cleanup_hook(self->hook_);
    });
  }
  // excerpt-end: teardown

  // excerpt-begin: drain
  // Main thread, once per wake-up however many sends coalesced into it, and from setImmediate
  // (comeBack, below). Nothing may be thrown into libuv: the node-addon-api calls here throw only
  // on invalid arguments, and Deliver() catches what JS throws.
  void Drain() {
    if (!producer_.joinable()) return;  // a late wake-up of a stopped stream
    // This wake-up takes what is published now, a ring at most: items published while JS runs
    // wait for the next loop turn, so timers and I/O get theirs. Acquire pairs with the
    // producer's release.
    const uint64_t end = tail_.load(std::memory_order_acquire);
    Napi::HandleScope scope(env_);
    // Microtasks and process.nextTick callbacks queued by on_item run when this scope closes.
    Napi::CallbackScope callback_scope(env_, context_);
    while (head_ < end) {  // stop() in on_item moves head_ to the tail, which ends the loop
      Item item = std::move(slots_[head_++ % kSlots]);
      // Slots go back to the producer a quarter ring at a time: handed back one by one, the
      // line holding released_ would move between the two cores at every item.
      if (head_ % (kSlots / 4) == 0) released_.store(head_, std::memory_order_release);
      Napi::HandleScope item_scope(env_);
      if (!Deliver(env_, on_item_.Value(), item)) return;  // no JS any more: teardown follows
    }
    released_.store(head_, std::memory_order_release);
    if (producer_.joinable()) SleepOrComeBack();  // unless on_item called stop()
  }
  // excerpt-end: drain

  napi_async_cleanup_hook_handle hook_ = nullptr;  // set by Init: main thread

 private:
  // excerpt-begin: produce
  // Producer thread. A push is a slot write and a release store of the tail: no lock, no
  // read-modify-write, and no read of a line the main thread writes, as long as the last look at
  // released_ says there is room. On a full ring the producer sleeps 50 us at a time and looks
  // again: the ring is full only while the main thread is behind, and awake (it never sleeps on a
  // non-empty ring) with three quarters of a ring still to deliver when it hands a quarter back,
  // so a late look costs nothing. Spinning would burn a core the main thread may need; being
  // woken needs a second handshake (../ring.h, WaitForRoom). Looking again cannot miss anything.
  // It sleeps, as between items when paced, on a condition variable that stop() notifies.
  void Produce(uint64_t count, std::chrono::duration<double, std::milli> interval) {
    // Creating this thread ordered the main thread's last writes of both before these reads.
    uint64_t tail = tail_.load(std::memory_order_relaxed);  // only this thread writes it now
    uint64_t released = released_.load(std::memory_order_relaxed);
    for (uint64_t seq = 0; seq < count; ++seq) {
      // Full, as far as the last look says: look again. Acquire (here and below) pairs with
      // Drain's release: the main thread's moves out of those slots come before our writes.
      if (tail - released == kSlots) released = released_.load(std::memory_order_acquire);
      while (tail - released == kSlots) {  // still full
        if (Sleep(std::chrono::microseconds(50))) return;
        released = released_.load(std::memory_order_acquire);
      }
      if (seq > 0 && interval.count() > 0 && Sleep(interval)) return;
      if (stopping_.load(std::memory_order_relaxed)) return;
      slots_[tail % kSlots] = Item{seq, "item " + std::to_string(seq)};
      tail_.store(++tail, std::memory_order_release);  // publishes the slot to Drain's acquire
      WakeIfAsleep();
    }
  }
  // excerpt-end: produce

  // Producer thread: sleeps `time`, or less when stop() notifies. True when stopping.
  bool Sleep(std::chrono::duration<double, std::milli> time) {
    std::unique_lock<std::mutex> lock(mutex_);
    return wake_.wait_for(lock, time, [&] { return stopping_.load(); });
  }

  // excerpt-begin: wake
  // Producer thread, after a publish. Here a store (the tail) then a load (armed_); in
  // SleepOrComeBack a store (armed_) then a load (the tail). Only a full fence on both sides, (P)
  // and (M), makes at least one of the two see the other's store, so the main thread never sleeps
  // on a published item. ../texample.cc splits that pair unevenly (membarrier on the sleeping
  // side, a compiler barrier here); a seq_cst fence per item is simpler, and as correct.
  void WakeIfAsleep() {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // (P)
    // The thread that clears armed_ sends. Acquire pairs with the release in SleepOrComeBack,
    // which the main thread stores after libuv cleared its pending flag for that wake-up: so the
    // send below reads the flag clear and writes the loop's eventfd. Relaxed, ARM64 could read
    // the flag early, still set for that finished wake-up, and skip the write: the main thread
    // would sleep on the item. (Start()'s arm follows no wake-up; if a stale one is pending, the
    // send is skipped, and that wake-up's SleepOrComeBack, after (M), sees the item.)
    if (armed_.load(std::memory_order_relaxed) &&
        armed_.exchange(false, std::memory_order_acquire)) {
      uv_async_send(&async_);
    }
  }
  // excerpt-end: wake

  // excerpt-begin: sleep
  // Main thread, at the end of a wake-up. Items left (published while JS ran): come back in the
  // next loop turn, from setImmediate (index.js), which every runtime runs once per turn; a send
  // to our own handle would do on Node, but Bun and Deno answer it in the same turn. None: arm,
  // then look once more, as a publish just before the arm saw armed_ clear and did not send. If
  // that look finds an item, whoever clears armed_ wakes the main thread: we, or the producer,
  // whose send is then ordered as WakeIfAsleep says.
  void SleepOrComeBack() {
    if (tail_.load(std::memory_order_relaxed) == head_) {
      armed_.store(true, std::memory_order_release);        // release: see WakeIfAsleep
      std::atomic_thread_fence(std::memory_order_seq_cst);  // (M)
      if (tail_.load(std::memory_order_relaxed) == head_) return;
      if (!armed_.exchange(false, std::memory_order_relaxed)) return;
    }
    napi_value undefined, result;  // fails only when JS can no longer run: then nothing comes
    napi_get_undefined(env_, &undefined);
    napi_call_function(env_, undefined, come_back_soon_.Value(), 0, nullptr, &result);
  }
  // excerpt-end: sleep

  // excerpt-begin: fields
  // Set at construction: main thread.
  const Napi::Env env_;
  Napi::AsyncContext context_;  // the async_hooks identity of the callbacks

  // The ring. Positions count up for ever; slot = position % kSlots. Slots in [head_, tail_) are
  // published, the main thread's to take; slots from released_ on, up to kSlots, are the
  // producer's to fill. The shared indices sit on cache lines of their own, so that the two
  // threads do not write to a shared line.
  std::array<Item, kSlots> slots_;
  alignas(64) std::atomic<uint64_t> tail_{0};      // written by the producer
  alignas(64) std::atomic<uint64_t> released_{0};  // written by the main thread
  alignas(64) std::atomic<bool> armed_{false};     // the main thread may be asleep: publish, send
  std::atomic<bool> stopping_{false};              // main thread writes, producer reads
  std::mutex mutex_;              // held to write stopping_, so that Sleep() sees it or its notify
  std::condition_variable wake_;  // stop() notifies a sleeping producer
  uv_async_t async_;              // producer: uv_async_send only; main thread: the rest

  // Main thread only.
  std::thread producer_;
  Napi::FunctionReference on_item_;
  Napi::FunctionReference come_back_soon_;  // setImmediate(comeBack), from index.js
  uint64_t head_ = 0;                       // the next item to take
  // excerpt-end: fields
};

// excerpt-begin: init
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* stream = new Stream(env);  // freed by its cleanup hook (or here, if there is none)
  if (napi_add_async_cleanup_hook(env, Stream::TearDown, stream, &stream->hook_) != napi_ok) {
    Stream::TearDown(nullptr, stream);
    throw Napi::Error::New(env, "napi_add_async_cleanup_hook failed");
  }
  exports["start"] = Napi::Function::New(env, [=](const auto& info) { stream->Start(info); });
  exports["stop"] = Napi::Function::New(env, [=](const auto&) { stream->Stop(); });
  exports["comeBack"] = Napi::Function::New(env, [=](const auto&) { stream->Drain(); });
  return exports;
}
// excerpt-end: init

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
