// A store-then-load fence split unevenly between two sides (Linux's membarrier(2)). The side that
// crosses it for every item (a producer) pays a compiler barrier only, Light(); the side that
// crosses it once before it sleeps (the main thread) pays a system call, Heavy(). Together they
// order as a seq_cst fence on each side would: of two threads that each store one variable and
// then load the other's, at least one sees the other's store.
// Where membarrier is missing (not Linux, a kernel older than 4.14, a seccomp filter) both sides
// are seq_cst fences: correct, and slower for the side that crosses per item.
#pragma once

#include <atomic>
#include <cstdlib>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace texample {

class AsymmetricFence {
 public:
  AsymmetricFence() : expedited_(RegisterOnce()) {}

  // True when Heavy() is membarrier and Light() a compiler barrier.
  bool expedited() const { return expedited_; }

  // excerpt-begin: light
  // The frequent side, any thread. The compiler may not move a store before it below a load
  // after it; the CPU still may (a store can wait in the store buffer), and Heavy() takes care
  // of that: it interrupts this thread, wherever it is, with a full barrier.
  void Light() const {
    if (expedited_) {
      std::atomic_signal_fence(std::memory_order_seq_cst);
    } else {
      std::atomic_thread_fence(std::memory_order_seq_cst);
    }
  }
  // excerpt-end: light

  // excerpt-begin: heavy
  // The rare side, any thread. MEMBARRIER_CMD_PRIVATE_EXPEDITED returns once every other running
  // thread of this process has executed a full memory barrier (the kernel interrupts their CPUs);
  // a thread that is not running is ordered already, by the context switch. So whatever another
  // thread stored before its Light() is visible after this returns, or its loads after Light()
  // see what this thread stored before Heavy().
  void Heavy() const {
#if defined(__linux__)
    if (expedited_) {
      // Cannot fail once registered (its only errors are EINVAL and EPERM); if it ever did,
      // Light() would not be a fence, so there is nothing safe to fall back to.
      if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) std::abort();
      return;
    }
#endif
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  // excerpt-end: heavy

 private:
  // Registration is per process and cannot be undone, so it happens once, whichever environment
  // loads the addon first; a thread-safe static makes that so.
  static bool RegisterOnce() {
#if defined(__linux__) && !defined(TEXAMPLE_SYMMETRIC_FENCES)
    static const bool registered = [] {
      const long commands = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
      if (commands < 0 || !(commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
      return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    }();
    return registered;
#else
    return false;
#endif
  }

  const bool expedited_;
};

}  // namespace texample
