// Floor 4: the cost of common/'s LockedQueue, the queue of chapters 1 and 2.
//   BM_LockedQueue_PushTakeAll     one thread: `batch` pushes, then one TakeAll; items/s
//   BM_LockedQueue_ProducerDrain   a producer thread pushes flat out while the benchmark thread
//                                  drains with TakeAll in a tight loop; items/s drained
#include <atomic>
#include <thread>
#include <vector>

#include "floors.h"
#include "locked_queue.h"
#include "producer.h"
#include "support.h"

namespace floors {
namespace {

using Queue = texample::LockedQueue<texample::Item>;

// Uncontended: the lock is always free, so this is the mutex's fast path plus the block list's.
// TakeAll's cost is shared by the batch, as a wake-up shares it among the items it drains.
void PushTakeAll(benchmark::State& state) {
  const int64_t batch = state.range(0);
  Queue queue;
  texample::BlockList<texample::Item> drained;
  uint64_t value = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i) queue.Push(texample::Item{value++, 0});
    queue.TakeAll(drained);
    benchmark::DoNotOptimize(&drained[0]);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

// Contended: the worst case for the producer, since a consumer that drains in a tight loop takes
// the lock as often as it can (a chapter drains once per wake-up). One iteration is one TakeAll.
void ProducerDrain(benchmark::State& state) {
  CpuPair cpus;
  if (!ChooseCpus(false, &cpus)) {
    state.SkipWithError("needs two CPUs");
    return;
  }
  Queue queue;
  std::atomic<bool> stop{false};
  std::atomic<bool> producer_pinned{false};
  ScopedPin pin(cpus.main);
  std::thread producer([&] {
    producer_pinned.store(PinCurrentThread(cpus.helper), std::memory_order_relaxed);
    for (uint64_t value = 0; !stop.load(std::memory_order_relaxed); ++value) {
      queue.Push(texample::Item{value, 0});
    }
  });
  texample::BlockList<texample::Item> drained;
  int64_t items = 0;
  int64_t empty_takes = 0;
  for (auto _ : state) {
    queue.TakeAll(drained);
    items += static_cast<int64_t>(drained.size());
    if (drained.empty()) ++empty_takes;
  }
  stop.store(true, std::memory_order_relaxed);
  producer.join();
  if (!pin.pinned() || !producer_pinned.load(std::memory_order_relaxed)) {
    state.SkipWithError("could not pin the threads");
  }
  state.SetItemsProcessed(items);
  state.counters["items_per_take"] =
      benchmark::Counter(static_cast<double>(items), benchmark::Counter::kAvgIterations);
  state.counters["empty_take_ratio"] =
      benchmark::Counter(static_cast<double>(empty_takes), benchmark::Counter::kAvgIterations);
}

}  // namespace

void RegisterLockedQueue(const RunLength& length) {
  benchmark::RegisterBenchmark("BM_LockedQueue_PushTakeAll", PushTakeAll)
      ->ArgName("batch")
      ->Arg(1)
      ->Arg(64)
      ->Arg(1024)
      ->MinTime(length.queue_min_time_s);
  benchmark::RegisterBenchmark("BM_LockedQueue_ProducerDrain", ProducerDrain)
      ->MinTime(length.queue_min_time_s)
      ->UseRealTime();
}

}  // namespace floors
