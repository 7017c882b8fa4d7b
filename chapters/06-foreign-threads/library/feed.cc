// feed: the simulated vendor library (feed.h documents its API). Written as a library vendor
// would: its own threads, detached, each holding its share of the subscription's state, so that
// an at-once unsubscribe can return without waiting for any of them.
#include "feed.h"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

// Named, not anonymous: feed_subscription, declared in the header, holds a Subscription.
namespace feed_internal {

uint64_t NowNs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

// Process-wide counters. Allocated once and never freed: library threads may still run, and
// count, while the process exits and runs static destructors.
struct Globals {
  std::atomic<uint64_t> threads_running{0};
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> replies{0};
  std::atomic<uint64_t> refused_replies{0};
  std::atomic<uint64_t> calls_after_unsubscribe{0};
};

Globals& Global() {
  static Globals* globals = new Globals;
  return *globals;
}

// What a subscription's threads run in.
enum class Phase { kRunning, kLate, kStopped };

// One per subscription, shared by the handle and each of its threads (the last one frees it).
struct Subscription {
  feed_callback callback = nullptr;
  void* user_data = nullptr;
  feed_config config{};
  uint64_t start_ns = 0;

  // Written under `mutex` (so that a sleeper's predicate cannot miss it), read without it by the
  // threads between values. late_deadline_ns is stored before phase becomes kLate (release), and
  // read after phase is seen kLate (acquire).
  std::atomic<Phase> phase{Phase::kRunning};
  std::atomic<uint64_t> late_deadline_ns{0};
  std::atomic<bool> refused{false};            // a call was refused: no thread starts another
  std::atomic<unsigned> unfinished_shares{0};  // threads that have not emitted their whole share

  std::mutex mutex;
  std::condition_variable wake;  // sleepers, and a waiting unsubscribe
  unsigned running = 0;          // guarded by mutex: started threads not finished
};

}  // namespace feed_internal

using feed_internal::Subscription;

struct feed_subscription {
  std::shared_ptr<Subscription> state;
};

namespace {

using feed_internal::Global;
using feed_internal::Globals;
using feed_internal::NowNs;
using feed_internal::Phase;

struct ThreadStart {
  std::shared_ptr<Subscription> state;
  unsigned k;
};

// Subscription thread. False once the thread should stop emitting: stopped, refused, or an
// at-once unsubscribe's late delay has passed.
bool MayGoOn(const Subscription& s) {
  if (s.refused.load(std::memory_order_relaxed)) return false;
  const Phase phase = s.phase.load(std::memory_order_acquire);
  if (phase == Phase::kStopped) return false;
  return phase == Phase::kRunning || NowNs() < s.late_deadline_ns.load(std::memory_order_relaxed);
}

// Subscription thread. Sleeps until due_ns, or less if unsubscribed; false if it should stop.
bool SleepUntil(Subscription& s, uint64_t due_ns) {
  std::unique_lock<std::mutex> lock(s.mutex);
  for (;;) {
    if (!MayGoOn(s)) return false;
    const uint64_t now = NowNs();
    if (now >= due_ns) return true;
    uint64_t until = due_ns;
    if (s.phase.load(std::memory_order_relaxed) == Phase::kLate) {
      until = std::min(until, s.late_deadline_ns.load(std::memory_order_relaxed));
    }
    s.wake.wait_for(lock, std::chrono::nanoseconds(until - now));
  }
}

// Subscription thread: one call of the user's callback, counted.
bool Call(Subscription& s, const feed_event& event) {
  Globals& g = Global();
  if (s.phase.load(std::memory_order_relaxed) != Phase::kRunning) {
    g.calls_after_unsubscribe.fetch_add(1, std::memory_order_relaxed);
  }
  g.calls.fetch_add(1, std::memory_order_relaxed);
  if (s.callback(s.user_data, &event) == FEED_CONTINUE) return true;
  g.refused.fetch_add(1, std::memory_order_relaxed);
  s.refused.store(true, std::memory_order_relaxed);
  return false;
}

void* RunSubscriptionThread(void* argument) {
  std::unique_ptr<ThreadStart> start(static_cast<ThreadStart*>(argument));
  Subscription& s = *start->state;
  const uint64_t step = s.config.producers;
  bool whole_share = true;
  for (uint64_t n = start->k; n < s.config.count; n += step) {
    const bool go_on = s.config.period_ns == 0
                           ? MayGoOn(s)
                           : SleepUntil(s, s.start_ns + (n + 1) * s.config.period_ns);
    const feed_event item{FEED_EVENT_ITEM, n, s.config.stamp ? NowNs() : 0};
    if (!go_on || !Call(s, item)) {
      whole_share = false;
      break;
    }
    if (step > s.config.count - n) break;  // n + step would overflow or pass the end
  }
  // The last thread to finish its share reports the end. acq_rel: it then follows every other
  // thread's last call (their decrements are releases it reads).
  if (whole_share && s.unfinished_shares.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
      MayGoOn(s)) {
    Call(s, feed_event{FEED_EVENT_END, 0, 0});
  }
  // release: whoever reads threads_running (acquire in feed_stats) sees this thread's counts.
  // Before `running`: once a waiting unsubscribe returns, feed_stats no longer counts the thread.
  Global().threads_running.fetch_sub(1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    --s.running;
  }
  s.wake.notify_all();
  return nullptr;
}

// Any thread. Detached: nobody joins the library's threads, so that unsubscribe may return
// without waiting for them.
int StartDetached(void* (*run)(void*), void* argument) {
  pthread_attr_t attributes;
  if (pthread_attr_init(&attributes) != 0) return EAGAIN;
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int failed = pthread_create(&thread, &attributes, run, argument);
  pthread_attr_destroy(&attributes);
  return failed;
}

void Stop(Subscription& s, Phase phase, uint64_t late_deadline_ns) {
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.late_deadline_ns.store(late_deadline_ns, std::memory_order_relaxed);
    s.phase.store(phase, std::memory_order_release);
  }
  s.wake.notify_all();
}

void WaitForThreads(Subscription& s) {
  std::unique_lock<std::mutex> lock(s.mutex);
  s.wake.wait(lock, [&] { return s.running == 0; });
}

struct ReplyStart {
  feed_request request;
  feed_reply_callback reply;
  void* user_data;
};

void* RunReplyThread(void* argument) {
  std::unique_ptr<ReplyStart> start(static_cast<ReplyStart*>(argument));
  const timespec delay{static_cast<time_t>(start->request.delay_ms / 1000),
                       static_cast<long>(start->request.delay_ms % 1000) * 1'000'000};
  nanosleep(&delay, nullptr);
  Globals& g = Global();
  g.replies.fetch_add(1, std::memory_order_relaxed);
  if (start->reply(start->user_data, start->request.value * 2) != FEED_CONTINUE) {
    g.refused_replies.fetch_add(1, std::memory_order_relaxed);
  }
  g.threads_running.fetch_sub(1, std::memory_order_release);  // as in RunSubscriptionThread
  return nullptr;
}

}  // namespace

extern "C" int feed_subscribe(feed_callback callback, void* user_data, const feed_config* config,
                              feed_subscription** subscription, feed_error* error) {
  auto state = std::make_shared<Subscription>();
  state->callback = callback;
  state->user_data = user_data;
  state->config = *config;
  state->start_ns = NowNs();
  state->unfinished_shares.store(config->producers, std::memory_order_relaxed);
  for (unsigned k = 0; k < config->producers; ++k) {
    {
      std::lock_guard<std::mutex> lock(state->mutex);
      ++state->running;
    }
    Global().threads_running.fetch_add(1, std::memory_order_relaxed);
    auto* start = new ThreadStart{state, k};
    const int failed = StartDetached(RunSubscriptionThread, start);
    if (failed == 0) continue;
    delete start;
    Global().threads_running.fetch_sub(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(state->mutex);
      --state->running;
    }
    Stop(*state, Phase::kStopped, 0);
    WaitForThreads(*state);
    error->thread = k + 1;
    error->threads = config->producers;
    return failed;
  }
  *subscription = new feed_subscription{std::move(state)};
  return 0;
}

extern "C" void feed_unsubscribe(feed_subscription* subscription, feed_unsubscribe_mode mode) {
  Subscription& s = *subscription->state;
  if (mode == FEED_UNSUBSCRIBE_WAIT) {
    Stop(s, Phase::kStopped, 0);
    WaitForThreads(s);
  } else {
    Stop(s, Phase::kLate, NowNs() + uint64_t{s.config.late_ms} * 1'000'000u);
  }
  delete subscription;  // the threads hold their own shares of the state
}

extern "C" int feed_submit(const feed_request* request, feed_reply_callback reply,
                           void* user_data) {
  Global().threads_running.fetch_add(1, std::memory_order_relaxed);
  auto* start = new ReplyStart{*request, reply, user_data};
  const int failed = StartDetached(RunReplyThread, start);
  if (failed != 0) {
    delete start;
    Global().threads_running.fetch_sub(1, std::memory_order_relaxed);
  }
  return failed;
}

extern "C" void feed_stats(struct feed_stats* stats) {
  Globals& g = Global();
  // acquire, read first: once it reads 0, every count below includes the finished threads' calls.
  stats->threads_running = g.threads_running.load(std::memory_order_acquire);
  stats->calls = g.calls.load(std::memory_order_relaxed);
  stats->refused = g.refused.load(std::memory_order_relaxed);
  stats->replies = g.replies.load(std::memory_order_relaxed);
  stats->refused_replies = g.refused_replies.load(std::memory_order_relaxed);
  stats->calls_after_unsubscribe = g.calls_after_unsubscribe.load(std::memory_order_relaxed);
}
