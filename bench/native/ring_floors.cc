// The native ring floor: chapter 5's ring (chapters/05-fast-path/ring.h) from a producer thread
// to a consumer thread with no JS and no wake-up, the bound for chapter 5's batch mode.
//   BM_Ring_ProducerConsumer   one iteration = kItemsPerIteration items pushed by the producer
//                              (TryPush, WaitForRoom when full, as the chapter's Push does) and
//                              copied by the consumer into a buffer of doubles, ring by ring, as
//                              the chapter's CopyItems does; items/s
// The consumer polls the ring instead of sleeping: what is left is the ring itself, the copy and
// the cache lines moving between the two cores. Argument look_us: the consumer takes everything
// queued, then waits that many microseconds before it looks again, as batch mode takes everything
// queued once per loop turn. 10 is about a loop turn here, the report's floor for batch mode; 1
// shows what looking too often costs (the consumer then reads the lines the producer is writing).
// Argument pinned: 1 pins the two threads to two CPUs; 0 leaves them where the scheduler puts
// them, as chapter 5's producer and Node's main thread run. Pinned threads cannot move off a CPU
// that other work is using, so on a shared machine the pinned floor falls below what the
// unpinned chapter delivers; the report's floor for batch mode is the unpinned one.
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "floors.h"
#include "producer.h"
#include "ring.h"
#include "support.h"

namespace floors {
namespace {

constexpr int64_t kItemsPerIteration = 1 << 20;

double ToNumber(uint64_t value) { return static_cast<double>(static_cast<int64_t>(value)); }

// Consumer thread, after taking what was queued. Each look at the ring's tail takes its cache
// line from the producer, whose next push must take it back; waiting between looks, as a loop
// turn does, leaves the producer alone meanwhile.
void WaitBeforeLookingAgain(uint64_t wait_ns) {
  const uint64_t until = texample::MonotonicNs() + wait_ns;
  while (texample::MonotonicNs() < until) CpuRelax();
}

// Arguments: ring_size, slots (chapter 5's default is 65 536); look_us; pinned.
void RingProducerConsumer(benchmark::State& state) {
  CpuPair cpus;
  if (!ChooseCpus(false, &cpus)) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  const auto capacity = static_cast<uint64_t>(state.range(0));
  const auto wait_ns = static_cast<uint64_t>(state.range(1)) * 1000;
  const bool pinned = state.range(2) != 0;
  auto ring = std::make_unique<texample::Ring>();
  ring->Allocate(capacity, false);
  std::vector<double> values(capacity);
  const auto total = static_cast<uint64_t>(state.max_iterations) * kItemsPerIteration;
  std::atomic<bool> abandoned{false};
  std::atomic<bool> producer_pinned{!pinned};
  std::optional<ScopedPin> pin;
  if (pinned) pin.emplace(cpus.main);
  std::thread producer([&] {
    if (pinned) producer_pinned.store(PinCurrentThread(cpus.helper), std::memory_order_relaxed);
    for (uint64_t value = 0; value < total; ++value) {
      const texample::Item item{value, 0};
      while (!ring->TryPush(item)) {
        if (!ring->WaitForRoom(abandoned)) return;
      }
    }
  });
  uint64_t next = 0;  // the value the consumer expects next
  bool in_order = true;
  double checksum = 0;
  for (auto _ : state) {
    const uint64_t stop = next + kItemsPerIteration;
    while (next < stop) {
      const uint64_t head = ring->Head();
      const uint64_t end = std::min(ring->Tail(), head + (stop - next));
      if (end == head) {
        WaitBeforeLookingAgain(wait_ns);
        continue;
      }
      for (uint64_t position = head; position < end; ++position) {
        values[position - head] = ToNumber(ring->ValueAt(position));
      }
      in_order = in_order && values[0] == ToNumber(next);
      checksum += values[end - head - 1];
      next += end - head;
      ring->Release(end);
      WaitBeforeLookingAgain(wait_ns);
    }
  }
  abandoned.store(true, std::memory_order_relaxed);
  ring->WakeProducer();
  producer.join();
  benchmark::DoNotOptimize(checksum);
  if ((pin && !pin->pinned()) || !producer_pinned.load(std::memory_order_relaxed)) {
    state.SkipWithError("could not pin the threads");
  }
  if (!in_order) state.SkipWithError("items arrived out of order");
  state.SetItemsProcessed(state.iterations() * kItemsPerIteration);
}

}  // namespace

void RegisterRing(const RunLength& length) {
  benchmark::RegisterBenchmark("BM_Ring_ProducerConsumer", RingProducerConsumer)
      ->ArgNames({"ring_size", "look_us", "pinned"})
      ->Args({65536, 1, 1})
      ->Args({65536, 10, 1})
      ->Args({65536, 10, 0})
      ->MinTime(length.queue_min_time_s)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace floors
