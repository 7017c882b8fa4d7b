#include "ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

// Every array allocation of this test binary, counted while `recording` is set: by alignment
// asked for. They forward to the plain and aligned operator new, which the default array deletes
// call back into, so every pair still matches.
namespace {
bool recording = false;
int plain_arrays = 0;
int line_aligned_arrays = 0;
}  // namespace

void* operator new[](std::size_t size) {
  if (recording) ++plain_arrays;
  return ::operator new(size);
}

void* operator new[](std::size_t size, std::align_val_t alignment) {
  if (recording && alignment == std::align_val_t{64}) ++line_aligned_arrays;
  return ::operator new(size, alignment);
}

namespace texample {
namespace {

TEST(RingTest, AllocatesEachArrayOnACacheLineOfItsOwn) {
  Ring ring;
  plain_arrays = line_aligned_arrays = 0;
  recording = true;
  ring.Allocate(1024, /*stamps=*/true);
  recording = false;
  EXPECT_EQ(line_aligned_arrays, 2);  // values and send times
  EXPECT_EQ(plain_arrays, 0);
  recording = true;
  ring.Allocate(2, /*stamps=*/false);  // frees both, allocates the values only
  recording = false;
  EXPECT_EQ(line_aligned_arrays, 3);
  EXPECT_EQ(plain_arrays, 0);
}

TEST(RingTest, HoldsCapacityItemsInOrderAndRefusesOneMore) {
  Ring ring;
  ring.Allocate(16, /*stamps=*/true);
  for (uint64_t k = 0; k < 16; ++k) ASSERT_TRUE(ring.TryPush(Item{100 + k, 1000 + k}));
  EXPECT_FALSE(ring.TryPush(Item{116, 1016}));
  ASSERT_EQ(ring.Tail() - ring.Head(), 16u);
  for (uint64_t position = ring.Head(); position < ring.Tail(); ++position) {
    EXPECT_EQ(ring.ValueAt(position), 100 + position);
    EXPECT_EQ(ring.StampAt(position), 1000 + position);
  }
  ring.Release(ring.Head() + 5);
  for (uint64_t k = 16; k < 21; ++k) ASSERT_TRUE(ring.TryPush(Item{100 + k, 1000 + k}));
  EXPECT_FALSE(ring.TryPush(Item{121, 1021}));
  EXPECT_EQ(ring.ValueAt(20), 120u);  // slot 4 again, one lap on
}

}  // namespace
}  // namespace texample
