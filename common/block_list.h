// A growable list of items kept in fixed-size blocks: what a producer pushes into under a lock
// while the consumer is behind. A std::vector doubles by copying everything it holds into a new
// buffer, and a producer pushing under the queue's lock did that copy (and the page faults of the
// new buffer) with the lock held: behind a flood of 500 000 items the main thread waited 5-11 ms
// for the lock it takes once per wake-up, a stall of its whole loop. A block list never moves an
// item: a push past the last block allocates one more block (kBlockBytes, from malloc's heap, not
// a fresh mapping), and clear() keeps the blocks for the next pushes, so a steady stream allocates
// nothing. No thread safety of its own: its owner's lock guards it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace texample {

template <class T>
class BlockList {
 public:
  // 64 KiB blocks: under glibc's mmap threshold, so a block comes from the heap and goes back to
  // it, with no system call either way.
  static constexpr size_t kBlockBytes = 64 * 1024;
  static constexpr size_t kBlockItems = kBlockBytes / sizeof(T) > 0 ? kBlockBytes / sizeof(T) : 1;

  BlockList() = default;
  // A moved-from list is empty, blocks and size alike.
  BlockList(BlockList&& other) noexcept { swap(other); }
  BlockList& operator=(BlockList&& other) noexcept {
    blocks_ = std::move(other.blocks_);
    other.blocks_.clear();
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t k) { return blocks_[k / kBlockItems][k % kBlockItems]; }
  const T& operator[](size_t k) const { return blocks_[k / kBlockItems][k % kBlockItems]; }

  void push_back(const T& item) {
    if (size_ == blocks_.size() * kBlockItems)
      blocks_.push_back(std::make_unique<T[]>(kBlockItems));
    (*this)[size_++] = item;
  }

  // How many items from k on lie next to each other in memory: to the end of k's block.
  size_t ContiguousFrom(size_t k) const {
    return std::min(size_ - k, kBlockItems - k % kBlockItems);
  }

  // Keeps the blocks: the next pushes reuse them.
  void clear() { size_ = 0; }

  void swap(BlockList& other) noexcept {
    blocks_.swap(other.blocks_);
    std::swap(size_, other.size_);
  }

 private:
  std::vector<std::unique_ptr<T[]>> blocks_;  // a few pointers per 64 KiB of items
  size_t size_ = 0;
};

}  // namespace texample
