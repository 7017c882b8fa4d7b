// A mutex-protected queue that the consumer swaps out whole. Chapters 1, 2 and 4's doorbell use
// it: the lock is held for one push or one swap, never while JS runs, however many items a
// wake-up drains. Its items are kept in blocks (block_list.h), so a push behind a long backlog
// is as short as any other: it never copies the backlog with the lock held.
#pragma once

#include <mutex>
#include <utility>

#include "block_list.h"

namespace texample {

template <class T>
class LockedQueue {
 public:
  // Any producer thread. Returns true when the queue was empty before this push.
  bool Push(const T& item) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(item);
    return items_.size() == 1;
  }

  // Consumer thread. Replaces `out` with everything queued and leaves the queue empty. `out`'s
  // old blocks become the queue's, so a steady stream reuses them and allocates nothing.
  void TakeAll(BlockList<T>& out) {
    out.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    items_.swap(out);
  }

 private:
  std::mutex mutex_;
  BlockList<T> items_;  // guarded by mutex_
};

}  // namespace texample
