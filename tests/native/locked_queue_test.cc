#include "locked_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <numeric>
#include <thread>
#include <vector>

namespace texample {
namespace {

TEST(LockedQueueTest, PushReportsOnlyTheEmptyToNonEmptyTransition) {
  LockedQueue<int> queue;
  EXPECT_TRUE(queue.Push(1));
  EXPECT_FALSE(queue.Push(2));
  EXPECT_FALSE(queue.Push(3));
  std::vector<int> out;
  queue.TakeAll(out);
  EXPECT_TRUE(queue.Push(4));
  EXPECT_FALSE(queue.Push(5));
}

TEST(LockedQueueTest, TakeAllReturnsEverythingInFifoOrder) {
  LockedQueue<int> queue;
  for (int i = 0; i < 100; ++i) queue.Push(i);
  std::vector<int> out = {-1, -2};  // stale contents must not survive
  queue.TakeAll(out);
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(out, expected);
}

TEST(LockedQueueTest, TakeAllLeavesTheQueueEmpty) {
  LockedQueue<int> queue;
  queue.Push(1);
  queue.Push(2);
  std::vector<int> out;
  queue.TakeAll(out);
  queue.TakeAll(out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(queue.Push(3));
  queue.TakeAll(out);
  EXPECT_EQ(out, std::vector<int>{3});
}

TEST(LockedQueueTest, ConcurrentProducersDeliverEveryItemOnceInPerProducerOrder) {
  struct Entry {
    unsigned producer;
    uint32_t seq;
  };
  constexpr unsigned kProducers = 4;
  constexpr uint32_t kPerProducer = 50000;
  constexpr uint64_t kTotal = uint64_t{kProducers} * kPerProducer;
  LockedQueue<Entry> queue;
  std::atomic<uint64_t> first_pushes{0};
  std::vector<std::thread> producers;
  for (unsigned p = 0; p < kProducers; ++p) {
    producers.emplace_back([&queue, &first_pushes, p] {
      for (uint32_t seq = 0; seq < kPerProducer; ++seq) {
        if (queue.Push({p, seq})) first_pushes.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  std::vector<uint32_t> next(kProducers, 0);
  uint64_t received = 0, non_empty_batches = 0, out_of_order = 0;
  std::vector<Entry> batch;
  auto drain = [&] {
    queue.TakeAll(batch);
    if (!batch.empty()) ++non_empty_batches;
    for (const Entry& entry : batch) {
      if (entry.seq != next[entry.producer]) ++out_of_order;
      next[entry.producer] = entry.seq + 1;
      ++received;
    }
  };
  while (received < kTotal) drain();
  for (auto& producer : producers) producer.join();
  drain();

  EXPECT_EQ(received, kTotal);
  EXPECT_EQ(out_of_order, 0u);
  for (unsigned p = 0; p < kProducers; ++p) EXPECT_EQ(next[p], kPerProducer) << "producer " << p;
  // Each non-empty batch starts with the one item that found the queue empty.
  EXPECT_EQ(first_pushes.load(), non_empty_batches);
}

}  // namespace
}  // namespace texample
