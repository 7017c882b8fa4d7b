// A bounded ring of items between one producer thread and the main thread (single producer,
// single consumer), with backpressure: a producer that finds its ring full sleeps until the main
// thread has emptied half of it. Nothing is dropped, and while there is room a push is two plain
// stores: no lock, no read-modify-write, no fence. Chapter 5 gives every producer its own ring.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "producer.h"

namespace texample {

class Ring {
 public:
  // Main thread, while no producer runs. `capacity` is a power of two, 2 or more.
  void Allocate(uint64_t capacity) {
    slots_.reset(new Item[capacity]);
    mask_ = capacity - 1;
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
    slots_[tail & mask_] = item;
    // Release pairs with the acquire in Tail(): a main thread that sees the new tail sees the
    // item in its slot.
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }
  // excerpt-end: push

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

  // Main thread: the item at `position`, for Head() <= position < Tail().
  const Item& At(uint64_t position) const { return slots_[position & mask_]; }

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
  alignas(64) std::unique_ptr<Item[]> slots_;  // written before a push, read before a release
  uint64_t mask_ = 0;                          // capacity - 1; read-only while a stream runs
};

}  // namespace texample
