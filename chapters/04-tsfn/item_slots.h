// Slots for items on their way through a ThreadSafeFunction. napi_call_threadsafe_function carries
// one pointer per call; an Item is 16 bytes, so it travels as a pointer to a slot instead of a
// `new Item` per call. Each producer fills chunks of kSlotsPerChunk slots in order, and the main
// thread reads the slots in the same order (Node's queue is first in, first out), so a chunk is
// free again as soon as the main thread has read its last slot. A chunk is allocated only when no
// free one is left: one allocation per kSlotsPerChunk items while the backlog grows, none in a
// steady stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "producer.h"

namespace texample {

class ItemSlots {
 public:
  static constexpr size_t kSlotsPerChunk = 1024;

  // Main thread, while no producer runs. Producer k of `producers` emits k, k+P, k+2P, …
  // (common/producer.h), so an item's value names the producer, and so its cursor.
  void Reset(unsigned producers) {
    Clear();
    producers_ = producers;
    cursors_ = std::make_unique<Cursor[]>(producers);
  }

  // Main thread, while no producer runs and no slot will be read again.
  void Clear() {
    cursors_.reset();
    std::lock_guard<std::mutex> lock(mutex_);
    free_.clear();
    owned_.clear();
  }

  // excerpt-begin: fill
  // The item's producer thread: a slot holding `item`. It stays this producer's next slot until
  // Commit(), so a call that Node refused reuses it.
  Item* Fill(const Item& item) {
    Cursor& cursor = cursors_[item.value % producers_];
    if (cursor.next == kSlotsPerChunk) {
      cursor.chunk = FreeChunk();
      cursor.next = 0;
    }
    Item* slot = &cursor.chunk->slots[cursor.next];
    *slot = item;
    return slot;
  }

  // The item's producer thread, once Node has queued the slot.
  void Commit(const Item& item) { ++cursors_[item.value % producers_].next; }
  // excerpt-end: fill

  // excerpt-begin: take
  // Main thread: the item in `slot`, a slot Node handed back in queue order. After the last slot
  // of a chunk the whole chunk has been read, and goes back to the free list. Chunks are aligned
  // to their size, so the slot's address says where its chunk starts and whether it is the last.
  Item Take(const Item* slot) {
    const Item item = *slot;
    const uintptr_t address = reinterpret_cast<uintptr_t>(slot);
    const uintptr_t offset = address % sizeof(Chunk);
    if (offset == sizeof(Chunk) - sizeof(Item)) Recycle(reinterpret_cast<Chunk*>(address - offset));
    return item;
  }
  // excerpt-end: take

 private:
  struct alignas(kSlotsPerChunk * sizeof(Item)) Chunk {
    Item slots[kSlotsPerChunk];
  };
  static_assert(sizeof(Chunk) == kSlotsPerChunk * sizeof(Item), "slots fill the chunk exactly");

  // Written by one producer only. A cache line each, so producers do not share a line they write.
  struct alignas(64) Cursor {
    Chunk* chunk = nullptr;
    size_t next = kSlotsPerChunk;  // full: the first Fill takes a chunk
  };

  // Producer thread. The mutex is taken once per chunk, never per item. It also orders the main
  // thread's last read of a recycled chunk before a producer's first write to it.
  Chunk* FreeChunk() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) {
      owned_.emplace_back(new Chunk);  // aligned new (C++17): honours alignas(Chunk)
      return owned_.back().get();
    }
    Chunk* chunk = free_.back();
    free_.pop_back();
    return chunk;
  }

  // Main thread, once per chunk.
  void Recycle(Chunk* chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(chunk);
  }

  unsigned producers_ = 1;             // written by Reset, read-only while producers run
  std::unique_ptr<Cursor[]> cursors_;  // cursor k: producer k only
  std::mutex mutex_;
  std::vector<std::unique_ptr<Chunk>> owned_;  // guarded by mutex_; every chunk, in use or free
  std::vector<Chunk*> free_;                   // guarded by mutex_
};

}  // namespace texample
