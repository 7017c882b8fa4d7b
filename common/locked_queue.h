// A mutex-protected queue that the consumer swaps out whole. Chapters 1 and 2 use it: the lock is
// held for one push or one swap, never while JS runs, however many items a wake-up drains.
#pragma once

#include <mutex>
#include <utility>
#include <vector>

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
  // old buffer becomes the queue's, so a steady stream reuses two buffers and allocates nothing.
  void TakeAll(std::vector<T>& out) {
    out.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    items_.swap(out);
  }

 private:
  std::mutex mutex_;
  std::vector<T> items_;  // guarded by mutex_
};

}  // namespace texample
