// The native ring floor: chapter 5's ring (chapters/05-fast-path/ring.h) from a producer thread
// to a consumer thread with no JS and no wake-up, the bound for chapter 5's batch mode.
//   BM_Ring_ProducerConsumer   one iteration = kItemsPerIteration items pushed by the producer
//                              (TryPush, WaitForRoom when full, as the chapter's Push does) and
//                              copied by the consumer into a buffer of doubles, ring by ring, as
//                              the chapter's CopyItems does; items/s
// The consumer polls the ring, about once a microsecond, instead of sleeping: what is left is the
// ring itself, the copy and the cache lines moving between the two cores. Argument min_batch: the
// consumer takes items only once that many are queued. 1 is a consumer that takes whatever is
// there; 32 768, half the ring, is the report's floor for batch mode, whose wake-ups take
// thousands to tens of thousands of items each.
#include <atomic>
#include <memory>
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

// Consumer thread, when too few items are queued. Each look at the ring's tail takes its cache
// line from the producer, whose next push must take it back: a consumer that looked again at once
// would cost the producer a round trip between the cores per push. Waiting about a microsecond
// between looks costs it one per microsecond, as a wake-up per loop turn does in the chapter.
void WaitBeforeLookingAgain() {
  const uint64_t until = texample::MonotonicNs() + 1000;
  while (texample::MonotonicNs() < until) CpuRelax();
}

// Arguments: ring_size, slots (chapter 5's default is 65 536); min_batch.
void RingProducerConsumer(benchmark::State& state) {
  CpuPair cpus;
  if (!ChooseCpus(false, &cpus)) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  const auto capacity = static_cast<uint64_t>(state.range(0));
  const auto min_batch = static_cast<uint64_t>(state.range(1));
  auto ring = std::make_unique<texample::Ring>();
  ring->Allocate(capacity, false);
  std::vector<double> values(capacity);
  const auto total = static_cast<uint64_t>(state.max_iterations) * kItemsPerIteration;
  std::atomic<bool> abandoned{false};
  std::atomic<bool> producer_pinned{false};
  ScopedPin pin(cpus.main);
  std::thread producer([&] {
    producer_pinned.store(PinCurrentThread(cpus.helper), std::memory_order_relaxed);
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
      if (end == head || end - head < std::min(min_batch, stop - next)) {
        WaitBeforeLookingAgain();
        continue;
      }
      for (uint64_t position = head; position < end; ++position) {
        values[position - head] = ToNumber(ring->ValueAt(position));
      }
      in_order = in_order && values[0] == ToNumber(next);
      checksum += values[end - head - 1];
      next += end - head;
      ring->Release(end);
    }
  }
  abandoned.store(true, std::memory_order_relaxed);
  ring->WakeProducer();
  producer.join();
  benchmark::DoNotOptimize(checksum);
  if (!pin.pinned() || !producer_pinned.load(std::memory_order_relaxed)) {
    state.SkipWithError("could not pin the threads");
  }
  if (!in_order) state.SkipWithError("items arrived out of order");
  state.SetItemsProcessed(state.iterations() * kItemsPerIteration);
}

}  // namespace

void RegisterRing(const RunLength& length) {
  benchmark::RegisterBenchmark("BM_Ring_ProducerConsumer", RingProducerConsumer)
      ->ArgNames({"ring_size", "min_batch"})
      ->Args({65536, 1})
      ->Args({65536, 32768})
      ->MinTime(length.queue_min_time_s)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace floors
