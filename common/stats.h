// The statistics every chapter reports through stats(), counted by the same code everywhere.
#pragma once

#include <algorithm>
#include <cstdint>

namespace texample {

// What a chapter passes as the loop iteration where the runtime cannot tell it (loop_iteration.h):
// not on Node, whose libuv counts iterations, but on Bun and Deno, which only emulate libuv.
inline constexpr uint64_t kUnknownIteration = UINT64_MAX;

struct StatsSnapshot {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  uint64_t wakeups = 0;
  uint64_t max_items_per_wakeup = 0;
  uint64_t peak_queue_depth = 0;  // the most items one drain found queued, where a chapter knows
  // False once a delivery came with kUnknownIteration: wakeups and max_items_per_wakeup mean
  // nothing then, and stats() reports them as null.
  bool wakeups_known = true;
};

// Main thread only. A wake-up is an event-loop iteration in which at least one item was
// delivered. Counting loop iterations, rather than calls of a chapter's own callback, makes
// mechanisms comparable that hide their wake-ups (a ThreadSafeFunction calls JS once per item).
class DeliveryCounter {
 public:
  void Reset() { *this = DeliveryCounter(); }

  // `loop_iteration` identifies the current event-loop iteration (see loop_iteration.h), or is
  // kUnknownIteration where the runtime cannot tell: items are still counted, wake-ups are not.
  void Delivered(uint64_t loop_iteration, uint64_t items = 1) {
    if (items == 0) return;  // an empty delivery is not a wake-up
    if (loop_iteration == kUnknownIteration) {
      wakeups_known_ = false;
      delivered_ += items;
      return;
    }
    if (!any_delivery_ || loop_iteration != iteration_) {
      any_delivery_ = true;
      iteration_ = loop_iteration;
      items_this_wakeup_ = 0;
      ++wakeups_;
    }
    items_this_wakeup_ += items;
    delivered_ += items;
    max_items_per_wakeup_ = std::max(max_items_per_wakeup_, items_this_wakeup_);
  }

  void Dropped(uint64_t items = 1) { dropped_ += items; }

  void QueueDepth(uint64_t depth) { peak_queue_depth_ = std::max(peak_queue_depth_, depth); }

  // `sent` and producer-side drops come from the producers (ProducerGroup::Sent/Refused).
  StatsSnapshot Snapshot(uint64_t sent, uint64_t refused_by_mechanism) const {
    StatsSnapshot s;
    s.sent = sent;
    s.delivered = delivered_;
    s.dropped = dropped_ + refused_by_mechanism;
    s.wakeups = wakeups_;
    s.max_items_per_wakeup = max_items_per_wakeup_;
    s.peak_queue_depth = peak_queue_depth_;
    s.wakeups_known = wakeups_known_;
    return s;
  }

 private:
  bool any_delivery_ = false;
  bool wakeups_known_ = true;
  uint64_t iteration_ = 0;
  uint64_t items_this_wakeup_ = 0;
  uint64_t delivered_ = 0;
  uint64_t dropped_ = 0;
  uint64_t wakeups_ = 0;
  uint64_t max_items_per_wakeup_ = 0;
  uint64_t peak_queue_depth_ = 0;
};

}  // namespace texample
