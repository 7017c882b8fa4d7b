// Floors 1 and 2 for the kernel mechanisms: what a cross-thread wake-up costs with nothing on
// top of it (no event loop, no queue, no JS).
//   BM_<Mechanism>_PingPong       one iteration = one round trip between two threads
//   BM_<Mechanism>_PacedLatency   one iteration = one paced wake-up; p50/p99 of send→wake
#include <sys/prctl.h>

#include <atomic>
#include <memory>
#include <thread>

#include "channels.h"
#include "floors.h"
#include "paced_sender.h"
#include "support.h"

namespace floors {
namespace {

// Benchmark thread: signals `ping`, waits on `pong`. Echo thread: waits on `ping`, signals
// `pong`. Argument same_cpu: 0 pins the two threads to two CPUs, 1 to one CPU.
template <class Channel>
void PingPong(benchmark::State& state) {
  CpuPair cpus;
  if (!ChooseCpus(state.range(0) != 0, &cpus)) {
    state.SkipWithError("not enough CPUs for this placement");
    return;
  }
  // Separate cache lines, so that the two directions do not share one.
  struct Channels {
    alignas(64) Channel ping;
    alignas(64) Channel pong;
  };
  auto channels = std::make_unique<Channels>();
  if (!channels->ping.ok() || !channels->pong.ok()) {
    state.SkipWithError("could not create the channel");
    return;
  }
  ScopedPin pin(cpus.main);
  std::atomic<bool> stop{false};
  std::atomic<bool> echo_pinned{false};
  std::thread echo([&] {
    echo_pinned.store(PinCurrentThread(cpus.helper), std::memory_order_relaxed);
    for (;;) {
      const bool pinged = channels->ping.Wait();  // false: timed out, e.g. a stalled peer
      if (stop.load(std::memory_order_acquire)) return;
      if (pinged) channels->pong.Signal();
    }
  });
  for (auto _ : state) {
    if (!channels->ping.Signal() || !channels->pong.Wait()) {
      state.SkipWithError("a wake-up did not arrive within the wait limit");
      break;
    }
  }
  // The stop flag is set before the last signal, so the echo thread sees it when it wakes.
  stop.store(true, std::memory_order_release);
  channels->ping.Signal();
  echo.join();
  if (!pin.pinned() || !echo_pinned.load(std::memory_order_relaxed)) {
    state.SkipWithError("could not pin the threads");
  }
  state.SetItemsProcessed(state.iterations());
}

// Where the two threads of a paced floor run: split pins them to two CPUs (a cross-CPU wake-up),
// same pins both to one CPU (the sender's CPU is awake when it signals, so nothing has to wake a
// halted vCPU), free pins neither, as a chapter's producer and Node's main thread run.
enum Placement : int64_t { kSplit = 0, kSame = 1, kFree = 2 };

// Benchmark thread: blocked in `Channel::Wait`; records now - stamp for every send it finds.
// Sender thread (PacedSender): stamps, then signals, every period. Arguments: period_us,
// cpus (Placement), sender_spins (0: the sender sleeps between sends, 1: it polls the clock).
template <class Channel>
void PacedLatency(benchmark::State& state) {
  const auto placement = static_cast<Placement>(state.range(1));
  CpuPair cpus;
  if (placement != kFree && !ChooseCpus(placement == kSame, &cpus)) {
    state.SkipWithError("not enough CPUs for this placement");
    return;
  }
  auto channel = std::make_unique<Channel>();
  if (!channel->ok()) {
    state.SkipWithError("could not create the channel");
    return;
  }
  auto ring = std::make_unique<StampRing>();
  LatencyRecorder latencies(state.max_iterations);
  std::atomic<int> sender_cpu{-1};  // where the sender signalled from, last
  int64_t same_cpu_wakeups = 0;
  std::unique_ptr<ScopedPin> pin;
  if (placement != kFree) pin = std::make_unique<ScopedPin>(cpus.main);
  PacedSender sender(
      placement == kFree ? -1 : cpus.helper, state.range(0) * 1000, ring.get(),
      [&] {
        sender_cpu.store(sched_getcpu(), std::memory_order_relaxed);
        channel->Signal();
      },
      state.range(2) != 0);
  for (auto _ : state) {
    if (!channel->Wait()) {
      state.SkipWithError("a wake-up did not arrive within the wait limit");
      break;
    }
    const int64_t now_ns = NowNs();
    if (sched_getcpu() == sender_cpu.load(std::memory_order_relaxed)) ++same_cpu_wakeups;
    latencies.Wakeup(ring->ConsumeAll([&](int64_t stamp_ns) { latencies.Add(now_ns - stamp_ns); }));
  }
  sender.Stop();
  if ((pin && !pin->pinned()) || !sender.pinned()) state.SkipWithError("could not pin the threads");
  latencies.Report(state);
  // The share of wake-ups where the receiver woke on the CPU the sender signalled from.
  state.counters["same_cpu_share"] = static_cast<double>(same_cpu_wakeups) /
                                     static_cast<double>(std::max<int64_t>(1, state.iterations()));
}

// Benchmark thread. Sets the calling thread's timer slack (how late the kernel may fire its
// timers, to batch wake-ups: 50 µs by default) for one run, and restores it afterwards.
class ScopedTimerSlack {
 public:
  explicit ScopedTimerSlack(int64_t slack_ns) : saved_ns_(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
    ok_ = saved_ns_ >= 0 &&
          prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(slack_ns), 0, 0, 0) == 0;
  }
  ScopedTimerSlack(const ScopedTimerSlack&) = delete;
  ScopedTimerSlack& operator=(const ScopedTimerSlack&) = delete;
  ~ScopedTimerSlack() {
    if (saved_ns_ > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(saved_ns_), 0, 0, 0);
  }
  bool ok() const { return ok_; }

 private:
  long saved_ns_;
  bool ok_ = false;
};

// The baseline for the paced floors: a thread that only sleeps until the next period and records
// how late it woke up. Every paced wake-up pays this machine's vCPU wake-up cost and its stalls,
// so a mechanism's p99 means little beyond this one's. With the default timer slack the sleeper
// also wakes up to 50 µs late on purpose; timer_slack_ns:1 shows the machine alone.
void SleepPacedLatency(benchmark::State& state) {
  CpuPair cpus;
  if (!ChooseCpus(false, &cpus)) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  const int64_t period_ns = state.range(0) * 1000;
  LatencyRecorder latencies(state.max_iterations);
  ScopedPin pin(cpus.main);
  ScopedTimerSlack slack(state.range(1));
  int64_t next_ns = NowNs() + period_ns;
  for (auto _ : state) {
    SleepUntilNs(next_ns);
    const int64_t now_ns = NowNs();
    latencies.Add(now_ns - next_ns);
    latencies.Wakeup(1);
    next_ns += period_ns;
    if (next_ns < now_ns) next_ns = now_ns + period_ns;
  }
  if (!pin.pinned()) state.SkipWithError("could not pin the thread");
  if (!slack.ok()) state.SkipWithError("could not set the timer slack");
  latencies.Report(state);
}

template <class Channel>
void RegisterPingPong(const char* name, const RunLength& length) {
  benchmark::RegisterBenchmark(name, PingPong<Channel>)
      ->ArgName("same_cpu")
      ->Arg(0)
      ->Arg(1)
      ->MinTime(length.ping_pong_min_time_s)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

// Every mechanism across two CPUs with a sleeping sender; eventfd, the mechanism under
// uv_async_send, also on one CPU, unpinned, and with a spinning sender, to tell apart what a
// paced wake-up costs from where the threads run.
benchmark::internal::Benchmark* ConfigurePaced(benchmark::internal::Benchmark* b,
                                               const RunLength& length, bool placements) {
  const int64_t period_us = length.paced_period_ns / 1000;
  b->ArgNames({"period_us", "cpus", "sender_spins"})->Args({period_us, kSplit, 0});
  if (placements) {
    b->Args({period_us, kSame, 0})
        ->Args({period_us, kFree, 0})
        ->Args({period_us, kSplit, 1})
        ->Args({period_us, kFree, 1});
  }
  return b->Iterations(length.paced_wakeups)->UseRealTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace

void RegisterChannelPingPongs(const RunLength& length) {
  RegisterPingPong<EventfdChannel>("BM_Eventfd_PingPong", length);
  RegisterPingPong<PipeChannel>("BM_Pipe_PingPong", length);
  RegisterPingPong<FutexChannel>("BM_Futex_PingPong", length);
  RegisterPingPong<CondVarChannel>("BM_CondVar_PingPong", length);
  // Split CPUs only: two spinners sharing one CPU each wait out a whole time slice per turn.
  benchmark::RegisterBenchmark("BM_Spin_PingPong",
                               [](benchmark::State& state) {
                                 PingPong<SpinChannel>(state);
                                 state.SetLabel("burns both cores");
                               })
      ->ArgName("same_cpu")
      ->Arg(0)
      ->MinTime(length.ping_pong_min_time_s)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

void RegisterChannelPacedLatencies(const RunLength& length) {
  const int64_t period_us = length.paced_period_ns / 1000;
  benchmark::RegisterBenchmark("BM_Sleep_PacedLatency", SleepPacedLatency)
      ->ArgNames({"period_us", "timer_slack_ns"})
      ->Args({period_us, 50'000})
      ->Args({period_us, 1})
      ->Iterations(length.paced_wakeups)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  ConfigurePaced(
      benchmark::RegisterBenchmark("BM_Eventfd_PacedLatency", PacedLatency<EventfdChannel>), length,
      true);
  ConfigurePaced(benchmark::RegisterBenchmark("BM_Pipe_PacedLatency", PacedLatency<PipeChannel>),
                 length, false);
  ConfigurePaced(benchmark::RegisterBenchmark("BM_Futex_PacedLatency", PacedLatency<FutexChannel>),
                 length, false);
  ConfigurePaced(
      benchmark::RegisterBenchmark("BM_CondVar_PacedLatency", PacedLatency<CondVarChannel>), length,
      false);
  ConfigurePaced(benchmark::RegisterBenchmark("BM_Spin_PacedLatency",
                                              [](benchmark::State& state) {
                                                PacedLatency<SpinChannel>(state);
                                                state.SetLabel("burns a core");
                                              }),
                 length, false);
}

}  // namespace floors
