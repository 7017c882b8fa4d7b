// Floors 1–3 for uv_async_send, with the libuv this binary links: Debian's libuv1-dev (1.44),
// NOT the 1.46 inside Node. 1.44's uv_async_send makes the loop thread spin while the sender is
// inside its eventfd write (uv__async_spin, gone in 1.45), so these figures are not what an addon
// gets inside Node; hence "Debian" in every name. bench/floor measures Node's own.
//   BM_UvAsyncDebian_PingPong        one iteration = one round trip between two loops
//   BM_UvAsyncDebian_PacedLatency    one iteration = one paced wake-up of a loop
//   BM_UvAsyncDebian_BurstCoalescing one iteration = one burst of sends; callbacks per burst
#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "channels.h"
#include "floors.h"
#include "paced_sender.h"
#include "support.h"

namespace floors {
namespace {

// Setting up a loop or a handle fails only when the process is out of file descriptors or
// memory; the benchmarks cannot say anything useful then.
void Require(int rc, const char* what) {
  if (rc == 0) return;
  std::fprintf(stderr, "%s: %s\n", what, uv_strerror(rc));
  std::abort();
}

// The thread that runs `loop`. Every handle on it must be closed before uv_loop_close.
bool CloseLoop(uv_loop_t* loop) {
  uv_walk(
      loop,
      [](uv_handle_t* handle, void*) {
        if (!uv_is_closing(handle)) uv_close(handle, nullptr);
      },
      nullptr);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0;
}

// Loop thread. Turns a lost wake-up into an error instead of a hang: a repeating timer on the
// waiting loop flags a stall when `progress` has not moved for a whole kWaitLimitMs.
class StallWatch {
 public:
  void Start(uv_loop_t* loop, const uint64_t* progress) {
    progress_ = progress;
    timer_.data = this;
    Require(uv_timer_init(loop, &timer_), "uv_timer_init");
    Require(uv_timer_start(&timer_, OnTick, kWaitLimitMs, kWaitLimitMs), "uv_timer_start");
  }

  bool stalled() const { return stalled_; }

 private:
  static void OnTick(uv_timer_t* timer) {
    auto* watch = static_cast<StallWatch*>(timer->data);
    if (*watch->progress_ == watch->last_seen_) watch->stalled_ = true;
    watch->last_seen_ = *watch->progress_;
  }

  uv_timer_t timer_;
  const uint64_t* progress_ = nullptr;
  uint64_t last_seen_ = 0;
  bool stalled_ = false;
};

// Benchmark thread: runs `loop` one iteration at a time until `*count` reaches `target` or the
// watch flags a stall. Returns false on a stall.
bool RunUntil(uv_loop_t* loop, const uint64_t* count, uint64_t target, const StallWatch& watch) {
  while (*count < target) {
    if (watch.stalled()) return false;
    uv_run(loop, UV_RUN_ONCE);
  }
  return true;
}

// ---- Floor 1: ping-pong between two loops, each run by its own thread.

struct UvPingPong {
  uv_loop_t timing_loop;  // benchmark thread
  uv_loop_t echo_loop;    // echo thread
  uv_async_t pong;        // on timing_loop: the echo's answer
  uv_async_t ping;        // on echo_loop
  StallWatch watch;       // on timing_loop
  uint64_t pongs = 0;     // benchmark thread
  std::atomic<bool> stop{false};
};

// Echo thread.
void OnPing(uv_async_t* handle) {
  auto* pp = static_cast<UvPingPong*>(handle->data);
  if (pp->stop.load(std::memory_order_acquire)) {
    uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);  // echo_loop's last handle
    return;
  }
  uv_async_send(&pp->pong);
}

// Benchmark thread.
void OnPong(uv_async_t* handle) { ++static_cast<UvPingPong*>(handle->data)->pongs; }

void UvPingPongBenchmark(benchmark::State& state) {
  CpuPair cpus;
  if (!ChooseCpus(state.range(0) != 0, &cpus)) {
    state.SkipWithError("not enough CPUs for this placement");
    return;
  }
  auto pp = std::make_unique<UvPingPong>();
  Require(uv_loop_init(&pp->timing_loop), "uv_loop_init");
  Require(uv_loop_init(&pp->echo_loop), "uv_loop_init");
  // Handles are set up before the echo thread starts: uv_async_init is not thread-safe.
  Require(uv_async_init(&pp->timing_loop, &pp->pong, OnPong), "uv_async_init");
  Require(uv_async_init(&pp->echo_loop, &pp->ping, OnPing), "uv_async_init");
  pp->pong.data = pp->ping.data = pp.get();
  pp->watch.Start(&pp->timing_loop, &pp->pongs);
  ScopedPin pin(cpus.main);
  std::atomic<bool> echo_pinned{false};
  std::thread echo([&] {
    echo_pinned.store(PinCurrentThread(cpus.helper), std::memory_order_relaxed);
    uv_run(&pp->echo_loop, UV_RUN_DEFAULT);  // returns once OnPing has closed `ping`
  });
  for (auto _ : state) {
    uv_async_send(&pp->ping);
    if (!RunUntil(&pp->timing_loop, &pp->pongs, pp->pongs + 1, pp->watch)) {
      state.SkipWithError("a wake-up did not arrive within the wait limit");
      break;
    }
  }
  // seq_cst: the store must not pass 1.44's plain read of `pending` in uv_async_send below.
  pp->stop.store(true);
  uv_async_send(&pp->ping);
  echo.join();
  const bool closed = uv_loop_close(&pp->echo_loop) == 0 && CloseLoop(&pp->timing_loop);
  if (!closed) state.SkipWithError("a loop still had handles at close");
  if (!pin.pinned() || !echo_pinned.load(std::memory_order_relaxed)) {
    state.SkipWithError("could not pin the threads");
  }
  state.SetItemsProcessed(state.iterations());
}

// ---- Floor 2: paced one-way latency into a loop.

struct UvPaced {
  uv_loop_t loop;  // benchmark thread
  uv_async_t async;
  StallWatch watch;
  StampRing ring;
  LatencyRecorder* latencies = nullptr;
  uint64_t callbacks = 0;  // benchmark thread
};

// Benchmark thread, inside uv_run.
void OnStamped(uv_async_t* handle) {
  auto* paced = static_cast<UvPaced*>(handle->data);
  const int64_t now_ns = NowNs();
  paced->latencies->Wakeup(
      paced->ring.ConsumeAll([&](int64_t stamp_ns) { paced->latencies->Add(now_ns - stamp_ns); }));
  ++paced->callbacks;
}

void UvPacedLatencyBenchmark(benchmark::State& state) {
  CpuPair cpus;
  if (!ChooseCpus(false, &cpus)) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  LatencyRecorder latencies(state.max_iterations);
  auto paced = std::make_unique<UvPaced>();
  paced->latencies = &latencies;
  Require(uv_loop_init(&paced->loop), "uv_loop_init");
  Require(uv_async_init(&paced->loop, &paced->async, OnStamped), "uv_async_init");
  paced->async.data = paced.get();
  paced->watch.Start(&paced->loop, &paced->callbacks);
  ScopedPin pin(cpus.main);
  PacedSender sender(cpus.helper, state.range(0) * 1000, &paced->ring,
                     [&] { uv_async_send(&paced->async); });
  for (auto _ : state) {
    if (!RunUntil(&paced->loop, &paced->callbacks, paced->callbacks + 1, paced->watch)) {
      state.SkipWithError("a wake-up did not arrive within the wait limit");
      break;
    }
  }
  sender.Stop();  // no send after this, so the handle may close
  if (!CloseLoop(&paced->loop)) state.SkipWithError("the loop still had handles at close");
  if (!pin.pinned() || !sender.pinned()) state.SkipWithError("could not pin the threads");
  latencies.Report(state);
}

// ---- Floor 3: how many sends of a burst one callback absorbs.

struct UvBurst {
  uv_loop_t loop;          // loop thread
  uv_async_t data;         // the burst's target; its callbacks are counted
  uv_async_t fence;        // answers once the loop has caught up with a burst
  uv_async_t stop;         // closes all three handles, so uv_run returns
  uint64_t callbacks = 0;  // loop thread; read by the benchmark thread after join
  std::mutex mutex;
  std::condition_variable fenced;
  uint64_t fences_seen = 0;  // guarded by mutex
};

// Loop thread (all three).
void OnBurstData(uv_async_t* handle) { ++static_cast<UvBurst*>(handle->data)->callbacks; }

void OnBurstFence(uv_async_t* handle) {
  auto* burst = static_cast<UvBurst*>(handle->data);
  {
    std::lock_guard<std::mutex> lock(burst->mutex);
    ++burst->fences_seen;
  }
  burst->fenced.notify_one();
}

void OnBurstStop(uv_async_t* handle) {
  auto* burst = static_cast<UvBurst*>(handle->data);
  uv_close(reinterpret_cast<uv_handle_t*>(&burst->data), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&burst->fence), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&burst->stop), nullptr);
}

// Benchmark thread: sends `sends` times as fast as it can, timed (manual time: the burst only),
// then waits, untimed, until the loop has answered a fence, so that every burst starts with the
// loop asleep. The loop processes its handles in init order, data before fence, so a burst's
// callbacks have run by the time its fence answers, but for at most one still pending when the
// loop had already passed `data` in that round; it is counted in the next one.
void UvBurstBenchmark(benchmark::State& state) {
  CpuPair cpus;
  if (!ChooseCpus(false, &cpus)) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  const int64_t sends = state.range(0);
  auto burst = std::make_unique<UvBurst>();
  Require(uv_loop_init(&burst->loop), "uv_loop_init");
  Require(uv_async_init(&burst->loop, &burst->data, OnBurstData), "uv_async_init");
  Require(uv_async_init(&burst->loop, &burst->fence, OnBurstFence), "uv_async_init");
  Require(uv_async_init(&burst->loop, &burst->stop, OnBurstStop), "uv_async_init");
  burst->data.data = burst->fence.data = burst->stop.data = burst.get();
  ScopedPin pin(cpus.main);
  std::atomic<bool> loop_pinned{false};
  std::thread loop_thread([&] {
    loop_pinned.store(PinCurrentThread(cpus.helper), std::memory_order_relaxed);
    uv_run(&burst->loop, UV_RUN_DEFAULT);  // returns once OnBurstStop has closed every handle
  });
  uint64_t fences_sent = 0;
  for (auto _ : state) {
    const int64_t start_ns = NowNs();
    for (int64_t i = 0; i < sends; ++i) uv_async_send(&burst->data);
    state.SetIterationTime(static_cast<double>(NowNs() - start_ns) * 1e-9);
    uv_async_send(&burst->fence);
    ++fences_sent;
    std::unique_lock<std::mutex> lock(burst->mutex);
    if (!burst->fenced.wait_for(lock, std::chrono::milliseconds(kWaitLimitMs),
                                [&] { return burst->fences_seen >= fences_sent; })) {
      state.SkipWithError("the loop did not answer within the wait limit");
      break;
    }
  }
  uv_async_send(&burst->stop);
  loop_thread.join();
  if (uv_loop_close(&burst->loop) != 0) state.SkipWithError("the loop still had handles at close");
  if (!pin.pinned() || !loop_pinned.load(std::memory_order_relaxed)) {
    state.SkipWithError("could not pin the threads");
  }
  const double total_sends = static_cast<double>(state.iterations() * sends);
  const double callbacks = static_cast<double>(burst->callbacks);
  state.SetItemsProcessed(state.iterations() * sends);
  state.counters["callbacks"] = callbacks;
  state.counters["callbacks_per_burst"] =
      benchmark::Counter(callbacks, benchmark::Counter::kAvgIterations);
  state.counters["sends_per_callback"] = callbacks > 0 ? total_sends / callbacks : 0;
}

}  // namespace

void RegisterUvPingPong(const RunLength& length) {
  benchmark::RegisterBenchmark("BM_UvAsyncDebian_PingPong", UvPingPongBenchmark)
      ->ArgName("same_cpu")
      ->Arg(0)
      ->Arg(1)
      ->MinTime(length.ping_pong_min_time_s)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

void RegisterUvPacedLatency(const RunLength& length) {
  benchmark::RegisterBenchmark("BM_UvAsyncDebian_PacedLatency", UvPacedLatencyBenchmark)
      ->ArgName("period_us")
      ->Arg(length.paced_period_ns / 1000)
      ->Iterations(length.paced_wakeups)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

void RegisterUvBurstCoalescing(const RunLength& length) {
  // Manual time is wall-clock time too, taken around each burst only, so that waiting for the
  // fence between bursts does not count.
  benchmark::RegisterBenchmark("BM_UvAsyncDebian_BurstCoalescing", UvBurstBenchmark)
      ->ArgName("sends")
      ->Arg(1000)
      ->Iterations(length.small_bursts)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_UvAsyncDebian_BurstCoalescing", UvBurstBenchmark)
      ->ArgName("sends")
      ->Arg(100000)
      ->Iterations(length.large_bursts)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace floors
