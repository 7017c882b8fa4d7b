// Chapter 4's doorbell recipe: a Napi::TypedThreadSafeFunction that carries no items. The producer
// std::thread queues items under a mutex of our own and calls the function only when it sets the
// "ring pending" flag; call_js takes up to kTurnBudget items and calls JS once per item. The flag
// stays set until the loop turn ends (setImmediate, from index.js): then what is left rings
// again, in the next turn, so a producer faster than JS never holds the loop.
// ../texample.cc adds: several producers, stats, its thread count given back by the drain at the
// end of a stream, the callback looked up per wake-up, a backlog taken whole, and the budget as a
// start() option.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <iterator>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

// binding.gyp's target_name, which node-gyp defines as NODE_GYP_MODULE_NAME, as a string.
#define STRINGIFY(name) #name
#define NAME_OF(name) STRINGIFY(name)

namespace {

// The payload. Built on the producer thread, moved through the queue, freed on the main thread.
struct Item {
  uint64_t seq;
  std::string text;
};

// Main thread: on_item(seq, text), with Node-API's C functions, which report failure as a status.
// The callback threw: report it as 'uncaughtException' (left pending, Node would swallow it with
// a DEP0168 warning in an addon built for Node-API 8). Or JS can no longer run (a worker being
// terminated): then napi_fatal_exception fails too, and false says so.
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

// Items per loop turn. A ring made during the turn in which call_js runs would be answered in
// that same turn (Node calls call_js again while calls keep coming, up to 999 times), so the ring
// for what is left waits for the turn's end. 4096 calls of a cheap callback take well under 1 ms.
constexpr size_t kTurnBudget = 4096;

// One per environment (the main thread, each worker_thread): no globals. A new function per
// stream: an aborted one cannot be used again.
class Stream {
  // excerpt-begin: answer
  // call_js. A null env comes after an Abort or a teardown, for a ring still queued: a ring
  // carries nothing to free, and `self` may be gone.
  static void AnswerDoorbell(Napi::Env env, Napi::Function on_item, Stream* self, void*) {
    if (env != nullptr) self->Drain(env, on_item);
  }
  using ThreadSafeFunction = Napi::TypedThreadSafeFunction<Stream, void, AnswerDoorbell>;
  // excerpt-end: answer

 public:
  // The environment's teardown deletes a Stream whose stream may still run: its producer thread
  // reads this object, so it is stopped (woken, joined) before the memory goes.
  ~Stream() { Stop(); }

  // Main thread. One thread count, held by the main thread and given back by Stop()'s Abort, so
  // the function stays open while the producer may call it. It is referenced: a running stream
  // keeps the loop alive, even after its last item, until stop().
  // start(count, intervalMs, onItem, endTurnSoon), checked by index.js. New() throws on a failed
  // status.
  void Start(const Napi::CallbackInfo& info) {
    if (producer_.joinable()) throw Napi::Error::New(info.Env(), "a stream is already running");
    end_turn_soon_ = Napi::Persistent(info[3].As<Napi::Function>());
    tsfn_ = ThreadSafeFunction::New(info.Env(), info[2].As<Napi::Function>(),
                                    NAME_OF(NODE_GYP_MODULE_NAME), /*maxQueueSize=*/0,
                                    /*initialThreadCount=*/1, this);
    stopping_.store(false, std::memory_order_relaxed);
    pending_ = false;  // creating the thread publishes both
    try {
      producer_ = std::thread(
          &Stream::Produce, this, info[0].As<Napi::Number>().Int64Value(),
          std::chrono::duration<double, std::milli>(info[1].As<Napi::Number>().DoubleValue()));
    } catch (const std::system_error& error) {
      tsfn_.Abort();  // else the open function would hold the loop for good
      throw Napi::Error::New(info.Env(), std::string("no producer thread: ") + error.what());
    }
  }

  // excerpt-begin: stop
  // Main thread, also from inside on_item. The producer never waits inside Node, so wake it if it
  // waits out its interval, and join first; Abort then closes the function, and Node drops a
  // ring still queued (call_js with a null env). What is queued here is dropped: once this
  // returns, on_item is not called again.
  void Stop() {
    if (!producer_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);  // else the producer could miss the notify
      stopping_.store(true, std::memory_order_relaxed);
    }
    wake_.notify_one();
    producer_.join();
    tsfn_.Abort();
    queue_.clear();  // the producer is joined: no lock needed
    batch_.clear();  // ends Drain()'s loop when on_item called stop()
  }
  // excerpt-end: stop

  // excerpt-begin: drain
  // Main thread, once per ring, so at most once per loop turn: the flag stays set, so that no
  // producer rings, until EndTurn(), which a setImmediate queued here runs at the turn's end.
  void Drain(napi_env env, napi_value on_item) {
    napi_value undefined, result;  // the C call: a throw from here would abort the process
    napi_get_undefined(env, &undefined);
    if (!turn_ends_ && napi_call_function(env, undefined, end_turn_soon_.Value(), 0, nullptr,
                                          &result) != napi_ok) {
      return;  // JS can no longer run here (a worker being terminated)
    }
    turn_ends_ = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);  // held for the moves, never while JS runs
      const auto end = queue_.begin() + std::min(queue_.size(), kTurnBudget);
      batch_.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
      queue_.erase(queue_.begin(), end);
    }
    for (size_t i = 0; i < batch_.size(); ++i) {  // by index: stop() in on_item clears batch_
      Napi::HandleScope scope(env);
      if (!Deliver(env, on_item, batch_[i])) return;  // JS can no longer run here
    }
  }

  // Main thread, from setImmediate: this loop turn is over. Items left: the flag stays set, and
  // this rings for them; that ring is answered in the next turn. None: the flag is cleared, under
  // the lock, so a producer that pushes after this reads it clear and rings. An older stream's
  // EndTurn() may run after stop() and start(): it ends this stream's turn, which is as true.
  void EndTurn() {
    turn_ends_ = false;
    if (!producer_.joinable()) return;  // stopped: the function is closed
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = !queue_.empty();
    if (pending_) tsfn_.NonBlockingCall();
  }
  // excerpt-end: drain

 private:
  // excerpt-begin: ring
  // Producer thread. Push, then ring if this sets the flag: one ring per loop turn, however many
  // items it finds. Both under the lock, as EndTurn()'s look at the queue and its clear of the
  // flag: neither pair can fall between the other's two steps, so no item waits for a ring that
  // never comes. The call fails only once the function is closing (stop(), teardown). Between
  // items it waits `interval` on a condition variable, which stop() notifies.
  void Produce(uint64_t count, std::chrono::duration<double, std::milli> interval) {
    const auto stopping = [this] { return stopping_.load(std::memory_order_relaxed); };
    for (uint64_t seq = 0; seq < count && !stopping(); ++seq) {
      Item item{seq, "item " + std::to_string(seq)};  // allocates outside the lock
      std::unique_lock<std::mutex> lock(mutex_);
      if (seq > 0 && interval.count() > 0 && wake_.wait_for(lock, interval, stopping)) return;
      queue_.push_back(std::move(item));  // unbounded: a slow main thread costs memory
      if (!std::exchange(pending_, true)) tsfn_.NonBlockingCall();  // Node's lock nests in ours
    }
  }
  // excerpt-end: ring

  ThreadSafeFunction tsfn_;            // main thread writes it before the producer starts
  std::thread producer_;               // main thread only
  std::atomic<bool> stopping_{false};  // main thread writes, producer reads
  std::mutex mutex_;
  bool pending_ = false;          // guarded by mutex_: a ring is queued, or its turn not ended
  std::condition_variable wake_;  // stop() notifies a producer waiting out its interval
  std::deque<Item> queue_;        // guarded by mutex_: producer pushes, main thread takes
  std::vector<Item> batch_;       // main thread only: what this call took
  Napi::FunctionReference end_turn_soon_;  // main thread: setImmediate(endTurn), from index.js
  bool turn_ends_ = false;                 // main thread: EndTurn() is queued
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* stream = new Stream();
  // Freed when the environment goes away (a worker terminated, the process exiting). Node's own
  // hook for the function marks it closing; it frees it only in a close callback after the
  // hooks. So the join in ~Stream, and the Abort after it, run while its memory is still valid.
  if (napi_add_env_cleanup_hook(
          env, [](void* arg) { delete static_cast<Stream*>(arg); }, stream) != napi_ok) {
    delete stream;
    throw Napi::Error::New(env, "napi_add_env_cleanup_hook failed");
  }
  exports["start"] = Napi::Function::New(env, [=](const auto& info) { stream->Start(info); });
  exports["stop"] = Napi::Function::New(env, [=](const auto&) { stream->Stop(); });
  exports["endTurn"] = Napi::Function::New(env, [=](const auto&) { stream->EndTurn(); });
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
