#include "stats.h"

#include <gtest/gtest.h>

namespace texample {
namespace {

TEST(DeliveryCounterTest, StartsEmpty) {
  DeliveryCounter counter;
  const StatsSnapshot s = counter.Snapshot(0, 0);
  EXPECT_EQ(s.sent, 0u);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.wakeups, 0u);
  EXPECT_EQ(s.max_items_per_wakeup, 0u);
  EXPECT_EQ(s.peak_queue_depth, 0u);
}

TEST(DeliveryCounterTest, CountsOneWakeupPerIterationThatDelivered) {
  DeliveryCounter counter;
  counter.Delivered(7);
  counter.Delivered(7);
  counter.Delivered(7);
  counter.Delivered(9);
  counter.Delivered(12, 4);
  const StatsSnapshot s = counter.Snapshot(0, 0);
  EXPECT_EQ(s.wakeups, 3u);
  EXPECT_EQ(s.delivered, 8u);
}

TEST(DeliveryCounterTest, IterationsWithoutDeliveriesAreNotWakeups) {
  DeliveryCounter counter;
  counter.Delivered(1);
  counter.Delivered(1000);  // iterations 2 … 999 delivered nothing
  EXPECT_EQ(counter.Snapshot(0, 0).wakeups, 2u);
}

TEST(DeliveryCounterTest, FirstDeliveryInIterationZeroIsAWakeup) {
  DeliveryCounter counter;
  counter.Delivered(0);
  counter.Delivered(0);
  const StatsSnapshot s = counter.Snapshot(0, 0);
  EXPECT_EQ(s.wakeups, 1u);
  EXPECT_EQ(s.delivered, 2u);
}

TEST(DeliveryCounterTest, AnEmptyDeliveryIsNotAWakeup) {
  DeliveryCounter counter;
  counter.Delivered(3, 0);
  EXPECT_EQ(counter.Snapshot(0, 0).wakeups, 0u);
  counter.Delivered(3, 2);
  counter.Delivered(4, 0);
  const StatsSnapshot s = counter.Snapshot(0, 0);
  EXPECT_EQ(s.wakeups, 1u);
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_EQ(s.max_items_per_wakeup, 2u);
}

TEST(DeliveryCounterTest, MaxItemsPerWakeupSumsWithinAnIteration) {
  DeliveryCounter counter;
  counter.Delivered(1, 2);
  counter.Delivered(1, 3);
  counter.Delivered(2, 4);
  EXPECT_EQ(counter.Snapshot(0, 0).max_items_per_wakeup, 5u);
  for (int i = 0; i < 6; ++i) counter.Delivered(3);
  EXPECT_EQ(counter.Snapshot(0, 0).max_items_per_wakeup, 6u);
}

TEST(DeliveryCounterTest, DroppedDoesNotCountAsDeliveredOrWakeup) {
  DeliveryCounter counter;
  counter.Dropped();
  counter.Dropped(4);
  const StatsSnapshot s = counter.Snapshot(0, 0);
  EXPECT_EQ(s.dropped, 5u);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.wakeups, 0u);
}

TEST(DeliveryCounterTest, SnapshotAddsProducerSideRefusalsToDropped) {
  DeliveryCounter counter;
  counter.Dropped(5);
  const StatsSnapshot s = counter.Snapshot(10, 3);
  EXPECT_EQ(s.sent, 10u);
  EXPECT_EQ(s.dropped, 8u);
  EXPECT_EQ(counter.Snapshot(10, 0).dropped, 5u);  // a snapshot does not accumulate
}

TEST(DeliveryCounterTest, PeakQueueDepthKeepsTheMaximum) {
  DeliveryCounter counter;
  counter.QueueDepth(3);
  counter.QueueDepth(10);
  counter.QueueDepth(2);
  EXPECT_EQ(counter.Snapshot(0, 0).peak_queue_depth, 10u);
}

TEST(DeliveryCounterTest, ResetClearsEverything) {
  DeliveryCounter counter;
  counter.Delivered(4, 3);
  counter.Dropped(2);
  counter.QueueDepth(9);
  counter.Reset();
  const StatsSnapshot s = counter.Snapshot(0, 0);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.wakeups, 0u);
  EXPECT_EQ(s.max_items_per_wakeup, 0u);
  EXPECT_EQ(s.peak_queue_depth, 0u);
}

TEST(DeliveryCounterTest, AfterResetTheSameIterationIsANewWakeup) {
  DeliveryCounter counter;
  counter.Delivered(4, 3);
  counter.Reset();
  counter.Delivered(4);
  const StatsSnapshot s = counter.Snapshot(0, 0);
  EXPECT_EQ(s.wakeups, 1u);
  EXPECT_EQ(s.max_items_per_wakeup, 1u);
}

// A runtime that cannot tell loop iterations apart (Bun, Deno): items are counted, wake-ups are
// reported as unknown, and Reset() makes them known again for the next stream.
TEST(DeliveryCounterTest, AnUnknownIterationCountsItemsButNotWakeups) {
  DeliveryCounter counter;
  EXPECT_TRUE(counter.Snapshot(0, 0).wakeups_known);
  counter.Delivered(kUnknownIteration, 3);
  counter.Delivered(kUnknownIteration);
  const StatsSnapshot s = counter.Snapshot(4, 0);
  EXPECT_FALSE(s.wakeups_known);
  EXPECT_EQ(s.delivered, 4u);
  EXPECT_EQ(s.wakeups, 0u);
  counter.Reset();
  EXPECT_TRUE(counter.Snapshot(0, 0).wakeups_known);
}

}  // namespace
}  // namespace texample
