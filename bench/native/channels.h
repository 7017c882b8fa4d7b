// One-way wake-up channels between two threads, one per kernel mechanism. Each has the same shape:
//   bool ok()      construction succeeded
//   bool Signal()  any thread; wakes the waiter, or leaves the signal set for its next Wait
//   bool Wait()    the one waiting thread; consumes every signal sent so far (they coalesce),
//                  false when none arrived within kWaitLimitMs, so that a lost wake-up shows up
//                  as an error instead of a hang
#pragma once

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "support.h"

namespace floors {

constexpr int kWaitLimitMs = 2000;

// Blocks until `fd` is readable. The fd channels wait in poll() rather than a blocking read()
// so that the wait is bounded: two system calls per wake-up, as in an event loop (epoll_wait,
// then read).
inline bool PollReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int r = poll(&p, 1, kWaitLimitMs);
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

// A kernel counter: write adds to it, read returns the sum and resets it. libuv's uv_async
// wakes its loop through one of these on Linux.
class EventfdChannel {
 public:
  EventfdChannel() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  EventfdChannel(const EventfdChannel&) = delete;
  EventfdChannel& operator=(const EventfdChannel&) = delete;
  ~EventfdChannel() {
    if (fd_ >= 0) close(fd_);
  }

  bool ok() const { return fd_ >= 0; }

  bool Signal() {
    const uint64_t one = 1;
    return write(fd_, &one, sizeof one) == sizeof one;
  }

  bool Wait() {
    for (;;) {
      if (!PollReadable(fd_)) return false;
      uint64_t count;
      if (read(fd_, &count, sizeof count) == sizeof count) return true;
      if (errno != EAGAIN && errno != EINTR) return false;
    }
  }

 private:
  int fd_;
};

// One byte per signal; the waiter reads whatever is there. libuv's fallback where eventfd is
// missing, and the self-pipe of older event loops.
class PipeChannel {
 public:
  PipeChannel() {
    if (pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) fds_[0] = fds_[1] = -1;
  }
  PipeChannel(const PipeChannel&) = delete;
  PipeChannel& operator=(const PipeChannel&) = delete;
  ~PipeChannel() {
    if (fds_[0] >= 0) close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }

  bool ok() const { return fds_[0] >= 0; }

  bool Signal() {
    const char byte = 1;
    return write(fds_[1], &byte, 1) == 1;
  }

  bool Wait() {
    for (;;) {
      if (!PollReadable(fds_[0])) return false;
      char bytes[64];
      if (read(fds_[0], bytes, sizeof bytes) > 0) return true;
      if (errno != EAGAIN && errno != EINTR) return false;
    }
  }

 private:
  int fds_[2];
};

// A raw futex on a 32-bit word: the least a blocking wake-up can cost. The word says whether
// the waiter is asleep, so that Signal() makes the FUTEX_WAKE system call only when needed
// (what a mutex or condition variable does too).
class FutexChannel {
 public:
  bool ok() const { return true; }

  bool Signal() {
    if (word_.exchange(kSignaled, std::memory_order_release) == kSleeping) {
      return Futex(FUTEX_WAKE_PRIVATE, 1, nullptr) >= 0;
    }
    return true;
  }

  bool Wait() {
    const timespec limit{kWaitLimitMs / 1000, (kWaitLimitMs % 1000) * 1'000'000L};
    for (;;) {
      if (word_.exchange(kEmpty, std::memory_order_acquire) == kSignaled) return true;
      uint32_t expected = kEmpty;
      // A Signal() between the exchange above and here turned the word into kSignaled: the CAS
      // fails and the loop consumes it, instead of sleeping past it.
      if (!word_.compare_exchange_strong(expected, kSleeping, std::memory_order_acquire)) {
        continue;
      }
      // Sleeps only while the word still says kSleeping: the kernel checks it atomically with
      // queueing the waiter, which is what makes a futex free of lost wake-ups.
      if (Futex(FUTEX_WAIT_PRIVATE, kSleeping, &limit) != 0 && errno == ETIMEDOUT) {
        expected = kSleeping;
        if (word_.compare_exchange_strong(expected, kEmpty, std::memory_order_acquire)) {
          return false;
        }
      }
    }
  }

 private:
  static constexpr uint32_t kEmpty = 0;
  static constexpr uint32_t kSignaled = 1;
  static constexpr uint32_t kSleeping = 2;

  long Futex(int op, uint32_t value, const timespec* timeout) {
    return syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word_), op, value, timeout, nullptr, 0);
  }

  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                    std::atomic<uint32_t>::is_always_lock_free,
                "the futex word must be a plain 32-bit integer");
  std::atomic<uint32_t> word_{kEmpty};
};

// std::mutex + std::condition_variable (a futex each, underneath): what portable C++ code and
// Node's own ThreadSafeFunction queue use.
class CondVarChannel {
 public:
  bool ok() const { return true; }

  bool Signal() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      signaled_ = true;
    }
    // Notified after unlocking, so the waiter does not wake up only to block on the mutex.
    ready_.notify_one();
    return true;
  }

  bool Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!ready_.wait_for(lock, std::chrono::milliseconds(kWaitLimitMs),
                         [&] { return signaled_; })) {
      return false;
    }
    signaled_ = false;
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  bool signaled_ = false;  // guarded by mutex_
};

// No kernel at all: the waiter spins on a flag, burning its core the whole time. The lower bound
// of any wake-up (one cache line moving between cores), not a mechanism an addon can use.
class SpinChannel {
 public:
  bool ok() const { return true; }

  bool Signal() {
    flag_.store(true, std::memory_order_release);
    return true;
  }

  bool Wait() {
    int64_t deadline_ns = 0;
    for (uint32_t spins = 1;; ++spins) {
      // Read until set, then clear with one exchange: spinning on a plain load keeps the cache
      // line shared instead of pulling it away from the signaling core on every turn.
      if (flag_.load(std::memory_order_relaxed) &&
          flag_.exchange(false, std::memory_order_acquire)) {
        return true;
      }
      CpuRelax();
      if (spins % 65536 == 0) {
        const int64_t now = NowNs();
        if (deadline_ns == 0) {
          deadline_ns = now + int64_t{kWaitLimitMs} * 1'000'000;
        } else if (now > deadline_ns) {
          return false;
        }
      }
    }
  }

 private:
  std::atomic<bool> flag_{false};
};

}  // namespace floors
