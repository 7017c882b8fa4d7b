// What every floor shares: the run length (quick or FLOORS_FULL=1), the monotonic clock, CPU
// placement of the two threads, and the latency summary reported as counters.
#pragma once

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace floors {

// How long each benchmark runs. Quick keeps the whole binary under 40 s on 2 vCPUs.
struct RunLength {
  bool full = false;
  double ping_pong_min_time_s = 0.2;
  int64_t paced_wakeups = 300;  // as many as the harness's latency runs (bench/harness.js)
  int64_t paced_period_ns = 1'000'000;
  int64_t small_bursts = 300;  // bursts of 1 000 sends
  int64_t large_bursts = 30;   // bursts of 100 000 sends
  double queue_min_time_s = 0.2;
};

inline RunLength RunLengthFromEnvironment() {
  RunLength length;
  const char* full = std::getenv("FLOORS_FULL");
  if (full != nullptr && std::strcmp(full, "1") == 0) {
    length.full = true;
    length.ping_pong_min_time_s = 2.0;
    length.paced_wakeups = 5000;
    length.small_bursts = 3000;
    length.large_bursts = 300;
    length.queue_min_time_s = 1.0;
  }
  return length;
}

// CLOCK_MONOTONIC, the clock of uv_hrtime() and process.hrtime.bigint().
inline int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline void SleepUntilNs(int64_t deadline_ns) {
  timespec ts;
  ts.tv_sec = deadline_ns / 1'000'000'000;
  ts.tv_nsec = deadline_ns % 1'000'000'000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Where the benchmark thread (main) and its partner thread (helper) run. Both floors are pinned
// so that a run does not depend on where the scheduler happens to put the threads: split is the
// addon's usual case (producer on one core, JS main thread on another), same shows the cost
// without waking a second, halted vCPU.
struct CpuPair {
  int main = -1;
  int helper = -1;
};

// The first two CPUs this process may run on; false when fewer than the placement needs.
inline bool ChooseCpus(bool same_cpu, CpuPair* pair) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return false;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  }
  if (cpus.empty() || (!same_cpu && cpus.size() < 2)) return false;
  pair->main = cpus[0];
  pair->helper = same_cpu ? cpus[0] : cpus[1];
  return true;
}

// Calling thread. Helper threads pin themselves first thing.
inline bool PinCurrentThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// Benchmark thread. Pins it for one run and restores its former mask afterwards, because the
// same thread goes on to run every other benchmark.
class ScopedPin {
 public:
  explicit ScopedPin(int cpu) {
    CPU_ZERO(&saved_);
    saved_ok_ = pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) == 0;
    pinned_ = saved_ok_ && PinCurrentThread(cpu);
  }
  ScopedPin(const ScopedPin&) = delete;
  ScopedPin& operator=(const ScopedPin&) = delete;
  ~ScopedPin() {
    if (saved_ok_) pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
  }
  bool pinned() const { return pinned_; }

 private:
  cpu_set_t saved_;
  bool saved_ok_ = false;
  bool pinned_ = false;
};

// Benchmark thread. One-way latencies of one paced run, summarised as counters in µs.
class LatencyRecorder {
 public:
  explicit LatencyRecorder(int64_t expected_samples) {
    samples_ns_.reserve(static_cast<size_t>(expected_samples) + 64);
  }

  void Add(int64_t latency_ns) { samples_ns_.push_back(latency_ns); }

  // A wake-up that found `samples` new sends: more than one means sends were coalesced, none
  // means this wake-up's send had already been consumed by the previous one.
  void Wakeup(int64_t samples) {
    ++wakeups_;
    if (samples == 0) ++empty_wakeups_;
  }

  void Report(benchmark::State& state) {
    state.counters["p50_us"] = PercentileUs(0.50);
    state.counters["p99_us"] = PercentileUs(0.99);
    state.counters["max_us"] = PercentileUs(1.0);
    state.counters["samples"] = static_cast<double>(samples_ns_.size());
    state.counters["wakeups"] = static_cast<double>(wakeups_);
    state.counters["empty_wakeups"] = static_cast<double>(empty_wakeups_);
  }

 private:
  // Nearest-rank percentile.
  double PercentileUs(double fraction) {
    if (samples_ns_.empty()) return 0;
    const size_t n = samples_ns_.size();
    const auto rank = std::clamp<size_t>(
                          static_cast<size_t>(std::ceil(fraction * static_cast<double>(n))), 1, n) -
                      1;
    std::nth_element(samples_ns_.begin(), samples_ns_.begin() + rank, samples_ns_.end());
    return static_cast<double>(samples_ns_[rank]) / 1000.0;
  }

  std::vector<int64_t> samples_ns_;
  int64_t wakeups_ = 0;
  int64_t empty_wakeups_ = 0;
};

}  // namespace floors
