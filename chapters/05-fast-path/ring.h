// A bounded ring of items between one producer thread and the main thread (single producer,
// single consumer), with backpressure: a producer that finds its ring full sleeps until the main
// thread has emptied half of it. Nothing is dropped, and while there is room a push is two plain
// stores (three with send times) and, once per cache line, a prefetch: no lock, no
// read-modify-write, no fence. Chapter 5 gives every producer its own ring.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>

#include "producer.h"

namespace texample {

// Any thread: asks for the cache line holding `address` in order to write it, without waiting for
// it and without changing what the program does (a hint). x86-64: PREFETCHW, which Intel cores
// before Broadwell decode as a no-op; AArch64: PRFM PSTL1KEEP.
inline void PrefetchForWrite(const void* address) {
#if defined(__x86_64__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(address)));
#else
  __builtin_prefetch(address, 1, 3);
#endif
}

// A cache line on x86-64 and on most ARM64 cores.
constexpr std::size_t kCacheLine = 64;

// An array of slots that starts a cache line. `alignas` on a pointer member aligns the pointer,
// not what it points to, and operator new[] promises only alignof(std::max_align_t), 16 bytes
// on x86-64 and ARM64: so the slots are allocated with C++17's aligned operator new[], and freed
// with the matching delete.
struct LineAlignedDelete {
  void operator()(uint64_t* slots) const {
    ::operator delete[](slots, std::align_val_t{kCacheLine});
  }
};
using LineAlignedSlots = std::unique_ptr<uint64_t[], LineAlignedDelete>;

inline LineAlignedSlots NewLineAlignedSlots(uint64_t count) {
  return LineAlignedSlots(new (std::align_val_t{kCacheLine}) uint64_t[count]);
}

class Ring {
 public:
  // Main thread, while no producer runs. `capacity` is a power of two, 2 or more. Send times
  // get slots of their own only when `stamps` is set (see values_).
  void Allocate(uint64_t capacity, bool stamps) {
    values_ = NewLineAlignedSlots(capacity);
    stamps_ = stamps ? NewLineAlignedSlots(capacity) : nullptr;
    mask_ = capacity - 1;
    prefetch_ahead_ = std::min<uint64_t>(kPrefetchAhead, capacity / 2);
    head_.store(0, std::memory_order_relaxed);
    tail_.store(0, std::memory_order_relaxed);
    head_seen_ = 0;
  }

  // Main thread: slots in the ring.
  uint64_t Capacity() const { return mask_ + 1; }

  // excerpt-begin: push
  // Producer thread. Appends `item` unless the ring is full. The producer owns tail_ and reads
  // head_ only when its cached copy says the ring is full, so a push normally touches no cache
  // line that the main thread is writing.
  bool TryPush(const Item& item) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);  // only this thread writes it
    if (tail - head_seen_ > mask_) {
      // Acquire pairs with the release in Release(): the main thread's reads of the slots it
      // freed happen before this thread overwrites them.
      head_seen_ = head_.load(std::memory_order_acquire);
      if (tail - head_seen_ > mask_) return false;
    }
    if (tail % kValuesPerLine == 0) PrefetchAhead(tail);
    values_[tail & mask_] = item.value;
    if (stamps_) stamps_[tail & mask_] = item.sent_ns;
    // Release pairs with the acquire in Tail(): a main thread that sees the new tail sees the
    // item in its slot.
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }
  // excerpt-end: push

  // excerpt-begin: prefetch
  // Producer thread, once per line's worth of slots. The main thread has read every slot of the
  // last lap, so each line this thread comes back to must first be taken back from the main
  // thread's core (a request for ownership, a round trip between cores). On x86 stores leave a
  // core in program order: one store waiting for its line holds back every later one, the store
  // buffer fills after a line or two, and the producer runs at one line per round trip. Asking
  // for the lines kPrefetchAhead slots early, outside the store buffer, lets those round trips
  // overlap; a weakly ordered core (ARM64) may let its stores pass each other, and still gains
  // from having the line before the store needs it.
  // The line asked for may still hold slots the main thread has not read (a nearly full ring):
  // a hint changes no result, it only moves that line early. TEXAMPLE_NO_PREFETCH builds the
  // ring without it, which experiments/throughput.js measures.
  void PrefetchAhead(uint64_t tail) const {
#ifndef TEXAMPLE_NO_PREFETCH
    const uint64_t ahead = (tail + prefetch_ahead_) & mask_;
    PrefetchForWrite(&values_[ahead]);
    if (stamps_) PrefetchForWrite(&stamps_[ahead]);
#else
    static_cast<void>(tail);
#endif
  }
  // excerpt-end: prefetch

  // excerpt-begin: wait-for-room
  // Producer thread, after TryPush() failed. Sleeps until at most half the ring is in use, so the
  // main thread wakes it once per half ring rather than once per slot; returns false at once if
  // `give_up` is set (the environment is going away). The flag and the fence pair with those in
  // Release(): either this thread sees the freed room, or Release() sees the flag and notifies.
  bool WaitForRoom(const std::atomic<bool>& give_up) {
    std::unique_lock<std::mutex> lock(mutex_);
    producer_waiting_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    room_.wait(lock, [&] { return HalfFree() || give_up.load(std::memory_order_relaxed); });
    producer_waiting_.store(false, std::memory_order_relaxed);
    return !give_up.load(std::memory_order_relaxed);
  }
  // excerpt-end: wait-for-room

  // excerpt-begin: consume
  // Main thread: the first item not yet released. Only this thread writes head_.
  uint64_t Head() const { return head_.load(std::memory_order_relaxed); }

  // Main thread: one past the newest item published. Acquire pairs with TryPush()'s release.
  uint64_t Tail() const { return tail_.load(std::memory_order_acquire); }

  // Main thread: the item at `position`, for Head() <= position < Tail(). StampAt() only when
  // allocated with stamps.
  uint64_t ValueAt(uint64_t position) const { return values_[position & mask_]; }
  uint64_t StampAt(uint64_t position) const { return stamps_[position & mask_]; }

  // Main thread: every slot before `head` may be reused. Release pairs with the acquire in
  // TryPush(): what this thread read from those slots was read before they are overwritten. The
  // fence pairs with WaitForRoom's; a waiting producer is woken once half the ring is free.
  void Release(uint64_t head) {
    head_.store(head, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!producer_waiting_.load(std::memory_order_relaxed)) return;
    if (Tail() - head > (mask_ + 1) / 2) return;  // it would only go back to sleep
    WakeProducer();
  }
  // excerpt-end: consume

  // Main thread. Taking the mutex between the change the producer waits for and the notify means
  // the producer is either not yet checking (it will see the change) or already waiting.
  void WakeProducer() {
    { std::lock_guard<std::mutex> lock(mutex_); }
    room_.notify_one();
  }

 private:
  // Producer thread: true when at most half the ring is in use.
  bool HalfFree() {
    head_seen_ = head_.load(std::memory_order_acquire);
    return tail_.load(std::memory_order_relaxed) - head_seen_ <= (mask_ + 1) / 2;
  }

  // Each group starts a cache line of its own, so that the producer's writes and the main
  // thread's never share one: a line written by both would move between the cores at every item.
  alignas(64) std::atomic<uint64_t> tail_{0};  // written by the producer, read by the main thread
  uint64_t head_seen_ = 0;                     // producer only: head_ as last read
  alignas(64) std::atomic<uint64_t> head_{0};  // written by the main thread, read by the producer
  alignas(64) std::atomic<bool> producer_waiting_{false};  // slow path only, see WaitForRoom()
  std::mutex mutex_;
  std::condition_variable room_;
  // Written before a push, read before a release. Values and send times in arrays of their own
  // rather than one array of Items: without stamps an item is 8 bytes, not 16, and every cache
  // line a push fills moves from this thread's core to the main thread's and back once a lap, so
  // half the bytes is half the lines to move, the cost that bounds a ring this fast. Each array
  // starts a cache line (NewLineAlignedSlots), so that its lines hold its slots only (whole lines
  // from kValuesPerLine slots on): an array that starts mid-line shares its first and last lines
  // with the allocator's bookkeeping and whatever lies next to it, such as another ring's slots
  // that another producer writes, and a line written from two cores moves between them. Every
  // kValuesPerLine-th slot then starts a line, the one PrefetchAhead() asks for. The pointers
  // themselves are read-only while a stream runs and need no line of their own.
  LineAlignedSlots values_;
  LineAlignedSlots stamps_;  // null unless the stream stamps
  // Read-only while a stream runs:
  uint64_t mask_ = 0;            // capacity - 1
  uint64_t prefetch_ahead_ = 0;  // kPrefetchAhead, or half a ring too small for it

  static constexpr uint64_t kValuesPerLine = kCacheLine / sizeof(uint64_t);
  static constexpr uint64_t kPrefetchAhead = 8 * kValuesPerLine;  // eight lines
};

}  // namespace texample
