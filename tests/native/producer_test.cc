#include "producer.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace texample {
namespace {

constexpr uint64_t kForever = StreamOptions::kForever;
constexpr uint64_t kOneHourNs = 3600ull * 1'000'000'000ull;

// Records every item in arrival order. Arrival order is each producer's emit order, since a
// producer pushes one item at a time.
class RecordingSink {
 public:
  // Optional: `accept` decides what Push returns; `on_push` runs after recording, unlocked, with
  // the number of items recorded so far; `before_done` runs in ProducersDone before it counts.
  std::function<bool(const Item&)> accept;
  std::function<void(size_t)> on_push;
  std::function<void()> before_done;

  bool Push(const Item& item) {
    size_t seen;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      items_.push_back(item);
      seen = items_.size();
    }
    if (on_push) on_push(seen);
    return accept ? accept(item) : true;
  }

  void ProducersDone() {
    if (before_done) before_done();
    std::lock_guard<std::mutex> lock(mutex_);
    ++done_calls_;
    done_.notify_all();
  }

  void WaitForDone() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return done_calls_ > 0; });
  }

  std::vector<Item> Items() {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }

  int DoneCalls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_calls_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Item> items_;
  int done_calls_ = 0;
};

StreamOptions Options(uint64_t count, unsigned producers, uint64_t period_ns = 0,
                      bool stamp = false) {
  StreamOptions options;
  options.count = count;
  options.producers = producers;
  options.period_ns = period_ns;
  options.stamp = stamp;
  return options;
}

// Producer k emits k, k+P, k+2P, … in that order: each producer's items must be a prefix of that
// sequence (the whole of it below `count` when `complete`).
::testing::AssertionResult IsPerProducerPrefix(const std::vector<Item>& items, unsigned producers,
                                               uint64_t count, bool complete) {
  std::vector<uint64_t> next(producers);
  for (unsigned k = 0; k < producers; ++k) next[k] = k;
  for (size_t i = 0; i < items.size(); ++i) {
    const uint64_t value = items[i].value;
    if (value >= count) return ::testing::AssertionFailure() << "value " << value << " >= count";
    const unsigned k = value % producers;
    if (value != next[k]) {
      return ::testing::AssertionFailure()
             << "item " << i << ": producer " << k << " sent " << value << ", expected " << next[k];
    }
    next[k] += producers;
  }
  for (unsigned k = 0; complete && k < producers; ++k) {
    if (next[k] < count) {
      return ::testing::AssertionFailure() << "producer " << k << " stopped before " << next[k];
    }
  }
  return ::testing::AssertionSuccess();
}

struct StreamShape {
  unsigned producers;
  uint64_t count;
};

class ProducerGroupShapeTest : public ::testing::TestWithParam<StreamShape> {};

TEST_P(ProducerGroupShapeTest, DeliversEveryValueExactlyOnce) {
  const StreamShape shape = GetParam();
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  group.Start(Options(shape.count, shape.producers), &sink);
  sink.WaitForDone();
  EXPECT_TRUE(group.AllDone());
  group.StopAndJoin();

  const std::vector<Item> items = sink.Items();
  EXPECT_EQ(items.size(), shape.count);
  EXPECT_TRUE(IsPerProducerPrefix(items, shape.producers, shape.count, /*complete=*/true));
  EXPECT_EQ(sink.DoneCalls(), 1);
  EXPECT_EQ(group.Sent(), shape.count);
  EXPECT_EQ(group.Refused(), 0u);
}

// 1000 % 7 != 0, and 2 items for 3 producers leaves one producer with nothing to send.
INSTANTIATE_TEST_SUITE_P(Shapes, ProducerGroupShapeTest,
                         ::testing::Values(StreamShape{1, 1000}, StreamShape{3, 1000},
                                           StreamShape{7, 1000}, StreamShape{3, 2},
                                           StreamShape{1, 1}),
                         [](const ::testing::TestParamInfo<StreamShape>& info) {
                           return "Producers" + std::to_string(info.param.producers) + "Count" +
                                  std::to_string(info.param.count);
                         });

TEST(ProducerGroupTest, ZeroCountStillReportsDoneOnce) {
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  group.Start(Options(0, 3), &sink);
  sink.WaitForDone();
  group.StopAndJoin();
  EXPECT_TRUE(sink.Items().empty());
  EXPECT_EQ(sink.DoneCalls(), 1);
  EXPECT_EQ(group.Sent(), 0u);
}

TEST(ProducerGroupTest, RefusedPushesAreCounted) {
  RecordingSink sink;
  sink.accept = [](const Item& item) { return item.value % 2 == 0; };
  ProducerGroup<RecordingSink> group;
  group.Start(Options(1001, 3), &sink);
  sink.WaitForDone();
  group.StopAndJoin();
  EXPECT_EQ(sink.Items().size(), 1001u);  // a refused item was still offered once
  EXPECT_EQ(group.Sent(), 1001u);
  EXPECT_EQ(group.Refused(), 500u);
}

TEST(ProducerGroupTest, StampedItemsCarryPerProducerNonDecreasingSendTimes) {
  constexpr unsigned kProducers = 3;
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  const uint64_t before = uv_hrtime();
  group.Start(Options(3000, kProducers, 0, /*stamp=*/true), &sink);
  sink.WaitForDone();
  group.StopAndJoin();
  const uint64_t after = uv_hrtime();

  std::vector<uint64_t> last(kProducers, 0);
  for (const Item& item : sink.Items()) {
    ASSERT_NE(item.sent_ns, 0u) << "item " << item.value;
    ASSERT_GE(item.sent_ns, before) << "item " << item.value;
    ASSERT_LE(item.sent_ns, after) << "item " << item.value;
    ASSERT_GE(item.sent_ns, last[item.value % kProducers]) << "item " << item.value;
    last[item.value % kProducers] = item.sent_ns;
  }
}

TEST(ProducerGroupTest, UnstampedItemsCarryZero) {
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  group.Start(Options(300, 3, 0, /*stamp=*/false), &sink);
  sink.WaitForDone();
  group.StopAndJoin();
  const std::vector<Item> items = sink.Items();
  ASSERT_EQ(items.size(), 300u);
  for (const Item& item : items) ASSERT_EQ(item.sent_ns, 0u) << "item " << item.value;
}

// Item n is due at start + (n+1)·period: a lower bound only, which holds however loaded the
// machine is.
TEST(ProducerGroupTest, PacedItemsAreNeverSentEarly) {
  constexpr uint64_t kPeriodNs = 200'000;
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  const uint64_t before = uv_hrtime();
  group.Start(Options(20, 2, kPeriodNs, /*stamp=*/true), &sink);
  sink.WaitForDone();
  group.StopAndJoin();
  const std::vector<Item> items = sink.Items();
  EXPECT_TRUE(IsPerProducerPrefix(items, 2, 20, /*complete=*/true));
  for (const Item& item : items) {
    EXPECT_GE(item.sent_ns, before + (item.value + 1) * kPeriodNs) << "item " << item.value;
  }
}

TEST(ProducerGroupTest, StopAndJoinWakesSleepingProducers) {
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  group.Start(Options(kForever, 3, kOneHourNs), &sink);
  EXPECT_FALSE(group.AllDone());
  // Not a threshold: the test passes either way, but only producers already asleep exercise the
  // wake-up. Without it StopAndJoin would hang for an hour, and CTest's timeout fails the test.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  group.StopAndJoin();
  EXPECT_TRUE(group.AllDone());
  EXPECT_TRUE(sink.Items().empty());
  EXPECT_EQ(sink.DoneCalls(), 1);
  EXPECT_EQ(group.Sent(), 0u);
}

TEST(ProducerGroupTest, RequestStopFromAnotherThreadEndsTheStream) {
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  group.Start(Options(kForever, 3, kOneHourNs), &sink);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // as above: let them fall asleep
  std::thread([&group] { group.RequestStop(); }).join();
  sink.WaitForDone();  // the producers finish on their own, before anyone joins them
  EXPECT_TRUE(group.AllDone());
  group.StopAndJoin();
  EXPECT_EQ(sink.DoneCalls(), 1);
}

TEST(ProducerGroupTest, StopAndJoinIsIdempotent) {
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  group.StopAndJoin();  // never started
  EXPECT_EQ(group.Sent(), 0u);
  group.Start(Options(100, 2), &sink);
  sink.WaitForDone();
  group.StopAndJoin();
  group.StopAndJoin();
  EXPECT_EQ(sink.DoneCalls(), 1);
  EXPECT_EQ(group.Sent(), 100u);
}

TEST(ProducerGroupTest, RestartAfterStopGivesAFreshStream) {
  RecordingSink first, second;
  ProducerGroup<RecordingSink> group;
  group.Start(Options(kForever, 3, kOneHourNs), &first);
  group.StopAndJoin();
  group.Start(Options(100, 2), &second);
  second.WaitForDone();
  group.StopAndJoin();
  EXPECT_EQ(first.DoneCalls(), 1);
  EXPECT_TRUE(first.Items().empty());
  EXPECT_EQ(second.DoneCalls(), 1);
  EXPECT_EQ(second.Items().size(), 100u);
  EXPECT_TRUE(IsPerProducerPrefix(second.Items(), 2, 100, /*complete=*/true));
  EXPECT_EQ(group.Sent(), 100u);
}

TEST(ProducerGroupTest, StartAfterACompletedStreamRestartsCounters) {
  RecordingSink first, second;
  ProducerGroup<RecordingSink> group;
  group.Start(Options(50, 3), &first);
  first.WaitForDone();
  group.Start(Options(30, 4), &second);  // reaps the finished threads itself
  second.WaitForDone();
  group.StopAndJoin();
  EXPECT_EQ(first.Items().size(), 50u);
  EXPECT_TRUE(IsPerProducerPrefix(second.Items(), 4, 30, /*complete=*/true));
  EXPECT_EQ(second.DoneCalls(), 1);
  EXPECT_EQ(group.Sent(), 30u);
}

// ProducersDone is the last thing the last producer does, so seeing it counted right after the
// destructor, without waiting, shows the destructor joined them. The delay before it counts makes
// a destructor that does not join fail reliably; it adds nothing a correct one has to beat.
void SlowDone(RecordingSink& sink) {
  sink.before_done = [] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); };
}

TEST(ProducerGroupTest, DestructorStopsAndJoinsSleepingProducers) {
  RecordingSink sink;
  SlowDone(sink);
  {
    ProducerGroup<RecordingSink> group;
    group.Start(Options(kForever, 3, kOneHourNs), &sink);
  }
  EXPECT_EQ(sink.DoneCalls(), 1);
}

TEST(ProducerGroupTest, DestructorStopsAndJoinsBusyProducers) {
  RecordingSink sink;
  SlowDone(sink);
  {
    ProducerGroup<RecordingSink> group;
    group.Start(Options(kForever, 3), &sink);
  }
  EXPECT_EQ(sink.DoneCalls(), 1);
  EXPECT_TRUE(IsPerProducerPrefix(sink.Items(), 3, kForever, /*complete=*/false));
}

// An endless stream split over several producers, stopped from inside the sink: every producer's
// items are still exactly a prefix of k, k+P, …, and the count matches what was pushed.
TEST(ProducerGroupTest, EndlessStreamStopsCleanlyMidStream) {
  constexpr unsigned kProducers = 3;
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  sink.on_push = [&group](size_t seen) {
    if (seen == 10000) group.RequestStop();
  };
  group.Start(Options(kForever, kProducers), &sink);
  sink.WaitForDone();
  group.StopAndJoin();
  const std::vector<Item> items = sink.Items();
  EXPECT_GE(items.size(), 10000u);
  EXPECT_TRUE(IsPerProducerPrefix(items, kProducers, kForever, /*complete=*/false));
  EXPECT_EQ(group.Sent(), items.size());
  EXPECT_EQ(sink.DoneCalls(), 1);
}

TEST(ProducerGroupTest, CountJustBelowTheMaximumStopsCleanly) {
  constexpr unsigned kProducers = 2;
  constexpr uint64_t kCount = kForever - 1;
  RecordingSink sink;
  ProducerGroup<RecordingSink> group;
  sink.on_push = [&group](size_t seen) {
    if (seen == 1000) group.RequestStop();
  };
  group.Start(Options(kCount, kProducers), &sink);
  sink.WaitForDone();
  group.StopAndJoin();
  EXPECT_TRUE(IsPerProducerPrefix(sink.Items(), kProducers, kCount, /*complete=*/false));
  EXPECT_EQ(group.Sent(), sink.Items().size());
}

}  // namespace
}  // namespace texample
