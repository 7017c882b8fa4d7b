// The sender side of the paced one-way latency floors: a thread that wakes the receiver every
// period and stamps each send with CLOCK_MONOTONIC, so the receiver can compute now - stamp.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "support.h"

namespace floors {

// Stamps travel through a ring rather than beside the signal, because a mechanism may coalesce
// two signals into one wake-up: the receiver then finds two stamps and records both latencies.
class StampRing {
 public:
  // Sender thread.
  void Publish(int64_t stamp_ns) {
    const uint64_t n = published_.load(std::memory_order_relaxed);
    stamps_[n % kSize].store(stamp_ns, std::memory_order_relaxed);
    published_.store(n + 1, std::memory_order_release);  // the stamp is visible before the count
  }

  // Receiver thread. Calls `f(stamp_ns)` for every stamp published since the last call and
  // returns how many there were. The sender stops long before it could lap the receiver: the
  // receiver's bounded wait gives up after kWaitLimitMs, far fewer sends than kSize.
  template <class F>
  int64_t ConsumeAll(F&& f) {
    const uint64_t end = published_.load(std::memory_order_acquire);
    const int64_t count = static_cast<int64_t>(end - consumed_);
    for (; consumed_ < end; ++consumed_)
      f(stamps_[consumed_ % kSize].load(std::memory_order_relaxed));
    return count;
  }

 private:
  static constexpr uint64_t kSize = 8192;
  std::atomic<int64_t> stamps_[kSize] = {};
  alignas(64) std::atomic<uint64_t> published_{0};  // written by the sender only
  alignas(64) uint64_t consumed_ = 0;               // receiver thread only
};

// Runs `signal()` once per period on its own thread, pinned to `cpu` (-1: not pinned, where the
// scheduler puts it), until Stop(). Sends follow an absolute schedule; after a stall (the VM
// pauses now and then) it skips the missed slots instead of sending a catch-up burst. Between
// sends it sleeps (as a chapter's producer does), or with `spin` polls the clock, so that its
// CPU never goes idle.
class PacedSender {
 public:
  template <class Signal>
  PacedSender(int cpu, int64_t period_ns, StampRing* ring, Signal signal, bool spin = false)
      : thread_([this, cpu, period_ns, ring, signal, spin]() mutable {
          pinned_.store(cpu < 0 || PinCurrentThread(cpu), std::memory_order_relaxed);
          int64_t next_ns = NowNs() + period_ns;
          while (!stop_.load(std::memory_order_acquire)) {
            if (spin) {
              while (NowNs() < next_ns && !stop_.load(std::memory_order_relaxed)) CpuRelax();
            } else {
              SleepUntilNs(next_ns);
            }
            if (stop_.load(std::memory_order_acquire)) break;
            ring->Publish(NowNs());
            signal();
            next_ns += period_ns;
            const int64_t now_ns = NowNs();
            if (next_ns < now_ns) next_ns = now_ns + period_ns;
          }
        }) {}

  PacedSender(const PacedSender&) = delete;
  PacedSender& operator=(const PacedSender&) = delete;
  ~PacedSender() { Stop(); }

  // Benchmark thread. Returns within one period; no signal is sent after it returns.
  void Stop() {
    stop_.store(true, std::memory_order_release);
    if (thread_.joinable()) thread_.join();
  }

  // After Stop().
  bool pinned() const { return pinned_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> pinned_{false};
  std::thread thread_;  // last: it starts in the constructor and reads the members above
};

}  // namespace floors
