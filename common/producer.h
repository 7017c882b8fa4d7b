// The producer threads every chapter shares: pacing, stamping, the split of items across
// producers, stopping and joining. A chapter supplies the Sink, which is where the wake-up
// mechanism lives; everything here is the same for every chapter.
#pragma once

#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace texample {

// Any thread. CLOCK_MONOTONIC in nanoseconds: the clock of process.hrtime.bigint() on Node (which
// reads it through uv_hrtime) and of std::chrono::steady_clock in libstdc++. Read directly, not
// through libuv, so that no chapter is tied to a runtime that runs libuv.
inline uint64_t MonotonicNs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

// What process.hrtime.bigint() reads minus MonotonicNs(): 0 on Node; Bun and Deno count their
// hrtime from their own start, so an environment there sets it once (AlignStampClock in
// loop_iteration.h) and stamps land on the clock the contract promises. Written by a main thread
// before it starts producers, read by producer threads.
inline std::atomic<int64_t>& StampClockOffsetNs() {
  static std::atomic<int64_t> offset{0};
  return offset;
}

// What start() asked for, already checked by common/options.js.
struct StreamOptions {
  static constexpr uint64_t kForever = std::numeric_limits<uint64_t>::max();
  uint64_t count = kForever;              // items 0 … count-1; kForever stands for Infinity
  uint64_t period_ns = 5'000'000'000ull;  // whole stream; item n is due at start + (n+1)·period
  unsigned producers = 1;                 // producer k emits k, k+P, k+2P, …
  bool stamp = false;                     // take the send time on the producer thread
};

// One item as it travels from a producer to the main thread.
struct Item {
  uint64_t value;
  uint64_t sent_ns;  // on the clock of process.hrtime.bigint(); 0 when not stamping
};

// Sink requirements (the chapter's mechanism):
//   bool Push(const Item&)  any producer thread; false when the mechanism refused the item
//                           (a full non-blocking queue, an aborted function): counted as dropped.
//   void ProducersDone()    called once, by the last producer to finish, after its last Push (or
//                           by Start() on its own thread, when a thread could not be created and
//                           no started producer is left running: see Start()).
template <class Sink>
class ProducerGroup {
 public:
  ProducerGroup() = default;
  ProducerGroup(const ProducerGroup&) = delete;
  ProducerGroup& operator=(const ProducerGroup&) = delete;
  ~ProducerGroup() { StopAndJoin(); }

  // Main thread (chapter 3: its Execute thread). Starts options.producers threads and returns ""
  // or, when one cannot be created (EAGAIN at the process's thread limit), why not. A failure cuts
  // the stream short instead of undoing it: the threads already started are asked to stop and
  // left to finish, as after RequestStop(), because one of them may be waiting inside the sink
  // for the main thread (a full ring or queue) and joining here would never return. The threads
  // never created count as finished, so ProducersDone() still comes exactly once: from the last
  // started producer, or from this call, on this thread, when none is left running. The caller
  // then ends the stream the way stop() does.
  std::string Start(const StreamOptions& options, Sink* sink) {
    StopAndJoin();
    options_ = options;
    sink_ = sink;
    stop_requested_.store(false, std::memory_order_relaxed);
    counters_ = std::make_unique<Counters[]>(options.producers);
    running_.store(options.producers, std::memory_order_relaxed);
    start_ns_ = MonotonicNs();
    unsigned k = 0;
    try {
      for (; k < options.producers; ++k) threads_.emplace_back(&ProducerGroup::Run, this, k);
      return "";
    } catch (const std::exception& error) {
      RequestStop();
      const unsigned never_started = options.producers - k;
      if (running_.fetch_sub(never_started, std::memory_order_acq_rel) == never_started) {
        std::atomic_thread_fence(std::memory_order_seq_cst);  // as in Finish()
        sink_->ProducersDone();
      }
      return "could not create producer thread " + std::to_string(k + 1) + " of " +
             std::to_string(options.producers) + ": " + error.what();
    }
  }

  // Any thread. Producers see it before their next item; sleeping ones wake up at once.
  void RequestStop() {
    {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      stop_requested_.store(true, std::memory_order_relaxed);
    }
    wake_sleepers_.notify_all();
  }

  // Main thread. Idempotent. After it returns no producer touches the sink again.
  void StopAndJoin() {
    RequestStop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
  }

  // Any thread. True once every producer has made its last Push. The consumer calls this right
  // after its wake-up mechanism cleared its pending flag; the fence pairs with the one in
  // Finish(): either this load sees the last producer's decrement, or that producer's send saw
  // the flag cleared and woke the consumer again (a Dekker pattern, which acquire/release alone
  // does not order). libuv promises no ordering for a send that coalesces, so the fences are ours.
  bool AllDone() const {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return running_.load(std::memory_order_acquire) == 0;
  }

  // Exact once the producers are joined; a lower bound while they run.
  uint64_t Sent() const { return Sum(&Counters::sent); }
  uint64_t Refused() const { return Sum(&Counters::refused); }

 private:
  // Written by one producer, read by the main thread for stats(): one cache line each, so that
  // producers do not slow each other down by sharing a line they all write.
  struct alignas(64) Counters {
    std::atomic<uint64_t> sent{0};
    std::atomic<uint64_t> refused{0};
  };

  // Producer thread k.
  void Run(unsigned k) {
    Counters& mine = counters_[k];
    const uint64_t step = options_.producers;
    for (uint64_t n = k; n < options_.count; n += step) {
      if (stop_requested_.load(std::memory_order_relaxed)) break;
      if (options_.period_ns != 0 && !SleepUntil(start_ns_ + (n + 1) * options_.period_ns)) break;
      const uint64_t sent_ns =
          options_.stamp ? MonotonicNs() + StampClockOffsetNs().load(std::memory_order_relaxed) : 0;
      const Item item{n, sent_ns};
      // Single writer per counter: a relaxed load and store is enough, and cheaper than an RMW.
      mine.sent.store(mine.sent.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      if (!sink_->Push(item)) {
        mine.refused.store(mine.refused.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
      }
      if (step > options_.count - n) break;  // n + step would overflow or reach the end
    }
    Finish();
  }

  // Producer thread. Sleeps until due_ns on MonotonicNs()'s clock (CLOCK_MONOTONIC, which is also
  // steady_clock's here). A producer that is behind schedule does not sleep, so the offered rate
  // holds on average even when the kernel wakes it late. Returns false if stop was requested.
  bool SleepUntil(uint64_t due_ns) {
    if (MonotonicNs() >= due_ns) return true;
    const std::chrono::steady_clock::time_point due{std::chrono::nanoseconds(due_ns)};
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    return !wake_sleepers_.wait_until(
        lock, due, [this] { return stop_requested_.load(std::memory_order_relaxed); });
  }

  // Producer thread, after its last Push. The last one out tells the sink.
  void Finish() {
    if (running_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::atomic_thread_fence(std::memory_order_seq_cst);  // see AllDone()
    sink_->ProducersDone();
  }

  uint64_t Sum(std::atomic<uint64_t> Counters::*field) const {
    uint64_t total = 0;
    for (unsigned k = 0; counters_ && k < options_.producers; ++k) {
      total += (counters_[k].*field).load(std::memory_order_relaxed);
    }
    return total;
  }

  // Written by the main thread before the threads start, read-only while they run.
  StreamOptions options_;
  Sink* sink_ = nullptr;
  uint64_t start_ns_ = 0;
  std::unique_ptr<Counters[]> counters_;
  std::vector<std::thread> threads_;  // main thread only

  std::atomic<bool> stop_requested_{false};  // guarded by sleep_mutex_ for writes, see RequestStop
  std::atomic<unsigned> running_{0};         // producers that have not finished yet
  std::mutex sleep_mutex_;
  std::condition_variable wake_sleepers_;
};

}  // namespace texample
