#include "locked_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <numeric>
#include <thread>
#include <vector>

namespace texample {
namespace {

template <class T>
std::vector<T> ToVector(const BlockList<T>& list) {
  std::vector<T> out;
  for (size_t k = 0; k < list.size(); ++k) out.push_back(list[k]);
  return out;
}

TEST(LockedQueueTest, PushReportsOnlyTheEmptyToNonEmptyTransition) {
  LockedQueue<int> queue;
  EXPECT_TRUE(queue.Push(1));
  EXPECT_FALSE(queue.Push(2));
  EXPECT_FALSE(queue.Push(3));
  BlockList<int> out;
  queue.TakeAll(out);
  EXPECT_TRUE(queue.Push(4));
  EXPECT_FALSE(queue.Push(5));
}

TEST(LockedQueueTest, TakeAllReturnsEverythingInFifoOrder) {
  LockedQueue<int> queue;
  for (int i = 0; i < 100; ++i) queue.Push(i);
  BlockList<int> out;
  out.push_back(-1);  // stale contents must not survive
  out.push_back(-2);
  queue.TakeAll(out);
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(ToVector(out), expected);
}

TEST(LockedQueueTest, TakeAllLeavesTheQueueEmpty) {
  LockedQueue<int> queue;
  queue.Push(1);
  queue.Push(2);
  BlockList<int> out;
  queue.TakeAll(out);
  queue.TakeAll(out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(queue.Push(3));
  queue.TakeAll(out);
  EXPECT_EQ(ToVector(out), std::vector<int>{3});
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
  BlockList<Entry> batch;
  auto drain = [&] {
    queue.TakeAll(batch);
    if (!batch.empty()) ++non_empty_batches;
    for (size_t k = 0; k < batch.size(); ++k) {
      const Entry& entry = batch[k];
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

// Items past several blocks keep their order and values; ContiguousFrom ends at a block's end.
TEST(BlockListTest, ManyBlocksKeepOrderAndTellWhereABlockEnds) {
  BlockList<uint64_t> list;
  constexpr size_t kBlock = BlockList<uint64_t>::kBlockItems;
  const size_t n = 3 * kBlock + 5;
  for (size_t k = 0; k < n; ++k) list.push_back(k * 7);
  ASSERT_EQ(list.size(), n);
  for (size_t k = 0; k < n; ++k) ASSERT_EQ(list[k], k * 7) << k;
  EXPECT_EQ(list.ContiguousFrom(0), kBlock);
  EXPECT_EQ(list.ContiguousFrom(kBlock - 1), 1u);
  EXPECT_EQ(list.ContiguousFrom(3 * kBlock), 5u);
  EXPECT_EQ(&list[kBlock - 1] + 1, &list[kBlock - 1] + list.ContiguousFrom(kBlock - 1));
  list.clear();  // keeps the blocks: the same memory is written again
  const uint64_t* first = &list[0];
  list.push_back(42);
  EXPECT_EQ(&list[0], first);
  EXPECT_EQ(list.size(), 1u);
}

TEST(BlockListTest, AMovedFromListIsEmpty) {
  BlockList<int> a;
  for (int k = 0; k < 10; ++k) a.push_back(k);
  BlockList<int> b(std::move(a));
  EXPECT_EQ(b.size(), 10u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): the point of the test
  a.push_back(5);
  EXPECT_EQ(ToVector(a), std::vector<int>{5});
  BlockList<int> c;
  c = std::move(b);
  EXPECT_EQ(c.size(), 10u);
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c[9], 9);
}

}  // namespace
}  // namespace texample
