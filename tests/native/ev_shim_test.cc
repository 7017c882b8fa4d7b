#include "ev_shim.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "locked_queue.h"

namespace {

// What the watcher's callbacks saw. The watcher's `data` points here.
struct Probe {
  int callbacks = 0;
  int closed = 0;
  struct ev_loop* loop = nullptr;
  ev_async* watcher = nullptr;
  ev_async* closed_watcher = nullptr;
  int revents = 0;
  bool pending_in_callback = true;
  std::function<void(ev_async*)> on_callback;
};

void OnAsync(EV_P_ ev_async* w, int revents) {
  Probe* probe = static_cast<Probe*>(w->data);
  ++probe->callbacks;
  probe->loop = loop;
  probe->watcher = w;
  probe->revents = revents;
  probe->pending_in_callback = ev_async_pending(w);
  if (probe->on_callback) probe->on_callback(w);
}

void OnClosed(ev_async* w) {
  Probe* probe = static_cast<Probe*>(w->data);
  ++probe->closed;
  probe->closed_watcher = w;
}

// Each test gets a private libuv loop, bound as this thread's default loop, and one watcher.
class EvShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&uv_), 0);
    loop_ = ev_default_loop_bind(&uv_);
    watcher_.data = &probe_;
    ev_async_init(&watcher_, OnAsync);
    ev_async_set_closed_cb(&watcher_, OnClosed);
  }

  // Cleans up after a test that failed before closing the watcher and the loop itself.
  void TearDown() override {
    if (loop_closed_) return;
    ev_async_stop(loop_, &watcher_);
    uv_run(&uv_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&uv_), 0);
  }

  // Stops the watcher, then runs the loop until the handle has closed.
  void StopAndClose() {
    ev_async_stop(loop_, &watcher_);
    callbacks_at_stop_ = probe_.callbacks;
    uv_run(&uv_, UV_RUN_DEFAULT);
  }

  int CloseLoop() {
    loop_closed_ = true;
    return uv_loop_close(&uv_);
  }

  uv_loop_t uv_;
  struct ev_loop* loop_ = nullptr;
  ev_async watcher_;
  Probe probe_;
  int callbacks_at_stop_ = -1;
  bool loop_closed_ = false;
};

TEST_F(EvShimTest, SendsBeforeTheLoopRunsCoalesceIntoOneCallback) {
  ev_async_start(loop_, &watcher_);
  EXPECT_FALSE(ev_async_pending(&watcher_));
  for (int i = 0; i < 1000; ++i) ev_async_send(loop_, &watcher_);
  EXPECT_TRUE(ev_async_pending(&watcher_));

  uv_run(&uv_, UV_RUN_NOWAIT);
  EXPECT_EQ(probe_.callbacks, 1);
  EXPECT_EQ(probe_.revents, EV_ASYNC);
  EXPECT_FALSE(probe_.pending_in_callback);
  EXPECT_FALSE(ev_async_pending(&watcher_));

  uv_run(&uv_, UV_RUN_NOWAIT);
  EXPECT_EQ(probe_.callbacks, 1);
}

TEST_F(EvShimTest, NoSendNoCallback) {
  ev_async_start(loop_, &watcher_);
  uv_run(&uv_, UV_RUN_NOWAIT);
  EXPECT_EQ(probe_.callbacks, 0);
}

// libuv clears its flag before the callback, so a send made while it runs is not lost.
TEST_F(EvShimTest, SendDuringTheCallbackGivesAnotherCallback) {
  probe_.on_callback = [this](ev_async* w) {
    if (probe_.callbacks == 1) ev_async_send(loop_, w);
  };
  ev_async_start(loop_, &watcher_);
  ev_async_send(loop_, &watcher_);
  uv_run(&uv_, UV_RUN_NOWAIT);
  EXPECT_EQ(probe_.callbacks, 1);
  EXPECT_TRUE(ev_async_pending(&watcher_));
  uv_run(&uv_, UV_RUN_NOWAIT);
  EXPECT_EQ(probe_.callbacks, 2);
  EXPECT_FALSE(ev_async_pending(&watcher_));
}

TEST_F(EvShimTest, DataPointerRoundTrips) {
  ev_async_start(loop_, &watcher_);
  EXPECT_EQ(watcher_.data, &probe_);  // neither init nor start touches it
  Probe other;
  watcher_.data = &other;  // the callback reads it when it runs
  ev_async_send(loop_, &watcher_);
  uv_run(&uv_, UV_RUN_NOWAIT);
  EXPECT_EQ(other.callbacks, 1);
  EXPECT_EQ(other.watcher, &watcher_);
  EXPECT_EQ(other.loop, loop_);
  EXPECT_EQ(probe_.callbacks, 0);
  watcher_.data = &probe_;
}

TEST_F(EvShimTest, DefaultLoopIsTheBoundLoopOnTheBindingThread) {
  EXPECT_EQ(EV_DEFAULT_UC, loop_);
  EXPECT_EQ(loop_->uv, &uv_);
  ev_async* const w = &watcher_;
  ev_async_start(EV_DEFAULT_UC_ w);
  ev_async_send(EV_DEFAULT_UC_ w);
  uv_run(&uv_, UV_RUN_NOWAIT);
  EXPECT_EQ(probe_.callbacks, 1);
  EXPECT_EQ(probe_.loop, loop_);
}

TEST_F(EvShimTest, EachThreadHasItsOwnDefaultLoop) {
  uv_loop_t other;  // only its address is used
  bool unbound_at_first = false, sees_own_loop = false, differs_from_main = false;
  struct ev_loop* const main_loop = loop_;
  std::thread([&] {
    unbound_at_first = ev_shim_default_loop_slot() == nullptr;
    struct ev_loop* bound = ev_default_loop_bind(&other);
    sees_own_loop = EV_DEFAULT_UC == bound && EV_DEFAULT_UC->uv == &other;
    differs_from_main = bound != main_loop;
  }).join();
  EXPECT_TRUE(unbound_at_first);
  EXPECT_TRUE(sees_own_loop);
  EXPECT_TRUE(differs_from_main);
  EXPECT_EQ(EV_DEFAULT_UC, loop_);
  EXPECT_EQ(loop_->uv, &uv_);
}

TEST_F(EvShimTest, StopRunsTheClosedCallbackOnceAndNoCallbackAfterIt) {
  ev_async_start(loop_, &watcher_);
  ev_async_send(loop_, &watcher_);  // pending when stopped: must not fire
  ev_async_stop(loop_, &watcher_);
  ev_async_stop(loop_, &watcher_);  // a second stop is a no-op, not a second uv_close
  uv_run(&uv_, UV_RUN_DEFAULT);
  EXPECT_EQ(probe_.callbacks, 0);
  EXPECT_EQ(probe_.closed, 1);
  EXPECT_EQ(probe_.closed_watcher, &watcher_);
  EXPECT_EQ(CloseLoop(), 0);
}

// How a chapter ends a stream: the stop comes from inside the callback, and the loop then has
// nothing left to run.
TEST_F(EvShimTest, StopInsideTheCallbackLetsTheLoopEnd) {
  probe_.on_callback = [this](ev_async* w) { ev_async_stop(loop_, w); };
  ev_async_start(loop_, &watcher_);
  ev_async_send(loop_, &watcher_);
  uv_run(&uv_, UV_RUN_DEFAULT);
  EXPECT_EQ(probe_.callbacks, 1);
  EXPECT_EQ(probe_.closed, 1);
  EXPECT_EQ(CloseLoop(), 0);
}

TEST_F(EvShimTest, SendsFromManyThreadsDeliverEveryItemOnce) {
  struct Entry {
    unsigned thread;
    uint32_t seq;
  };
  constexpr unsigned kThreads = 4;
  constexpr uint32_t kSendsPerThread = 100000;
  constexpr uint64_t kTotal = uint64_t{kThreads} * kSendsPerThread;
  texample::LockedQueue<Entry> queue;
  std::vector<uint32_t> next(kThreads, 0);
  uint64_t drained = 0, out_of_order = 0;
  texample::BlockList<Entry> batch;
  probe_.on_callback = [&](ev_async*) {
    queue.TakeAll(batch);  // sends coalesce: take everything, not one item per callback
    for (size_t k = 0; k < batch.size(); ++k) {
      const Entry& entry = batch[k];
      if (entry.seq != next[entry.thread]) ++out_of_order;
      next[entry.thread] = entry.seq + 1;
      ++drained;
    }
  };
  ev_async_start(loop_, &watcher_);

  std::vector<std::thread> senders;
  for (unsigned t = 0; t < kThreads; ++t) {
    senders.emplace_back([this, &queue, t] {
      for (uint32_t seq = 0; seq < kSendsPerThread; ++seq) {
        queue.Push({t, seq});
        ev_async_send(loop_, &watcher_);
      }
    });
  }
  // Every push is followed by a send, so each item is followed by a callback: this ends.
  while (drained < kTotal) uv_run(&uv_, UV_RUN_ONCE);
  for (auto& sender : senders) sender.join();
  uv_run(&uv_, UV_RUN_NOWAIT);  // a late send's callback, if any, finds nothing left

  EXPECT_EQ(drained, kTotal);
  EXPECT_EQ(out_of_order, 0u);
  for (unsigned t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kSendsPerThread) << "thread " << t;
  EXPECT_GE(probe_.callbacks, 1);
  EXPECT_LE(static_cast<uint64_t>(probe_.callbacks), kTotal);
  StopAndClose();
  EXPECT_EQ(probe_.callbacks, callbacks_at_stop_);
  EXPECT_EQ(probe_.closed, 1);
  EXPECT_EQ(CloseLoop(), 0);
}

// The senders are still sending while the loop's thread stops the watcher. The watcher's memory
// outlives them (they are joined before the close completes), which is all libuv needs.
TEST_F(EvShimTest, SendsRacingAStopNeverReachTheCallback) {
  constexpr unsigned kThreads = 4;
  constexpr uint64_t kSendsAfterStop = 1000;
  std::atomic<bool> keep_sending{true};
  std::vector<std::atomic<uint64_t>> sends(kThreads);
  ev_async_start(loop_, &watcher_);

  std::vector<std::thread> senders;
  for (unsigned t = 0; t < kThreads; ++t) {
    senders.emplace_back([this, &keep_sending, &sends, t] {
      while (keep_sending.load(std::memory_order_relaxed)) {
        ev_async_send(loop_, &watcher_);
        sends[t].fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  while (probe_.callbacks == 0) uv_run(&uv_, UV_RUN_ONCE);  // the senders are under way

  ev_async_stop(loop_, &watcher_);
  callbacks_at_stop_ = probe_.callbacks;
  // Make sure every sender really sent across the stop before letting them go.
  std::vector<uint64_t> at_stop(kThreads);
  for (unsigned t = 0; t < kThreads; ++t) at_stop[t] = sends[t].load();
  for (unsigned t = 0; t < kThreads; ++t) {
    while (sends[t].load() < at_stop[t] + kSendsAfterStop) std::this_thread::yield();
  }
  keep_sending.store(false, std::memory_order_relaxed);
  for (auto& sender : senders) sender.join();

  uv_run(&uv_, UV_RUN_DEFAULT);  // finishes the close
  EXPECT_EQ(probe_.callbacks, callbacks_at_stop_);
  EXPECT_EQ(probe_.closed, 1);
  EXPECT_EQ(CloseLoop(), 0);
}

}  // namespace
