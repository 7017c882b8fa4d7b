// Chapter 0's queue access, without Node: the producer pushes under the lock (TheThread), the
// consumer reads the front without it (Callback), exactly as in texample.cc. Built with
// ThreadSanitizer by run.sh, which prints what TSan reports.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <queue>
#include <thread>

namespace {

struct Message {
  uint64_t value;
  uint64_t sent_ns;
};
std::queue<Message> message_queue;
std::mutex queue_mutex;

void Producer(uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    std::lock_guard<std::mutex> lock(queue_mutex);
    message_queue.push({i, 0});
  }
}

// What chapter 0's Callback does on every wake-up.
uint64_t ConsumeOne() {
  if (message_queue.empty()) return 0;            // unlocked read, as in texample.cc
  const Message message = message_queue.front();  // unlocked read, as in texample.cc
  std::lock_guard<std::mutex> lock(queue_mutex);
  message_queue.pop();
  return message.value + 1;
}

}  // namespace

int main() {
  std::thread producer(Producer, 100000);
  uint64_t consumed = 0;
  for (int i = 0; i < 100000; ++i) consumed += ConsumeOne() != 0;
  producer.join();
  std::printf("consumed %llu items\n", static_cast<unsigned long long>(consumed));
  return 0;
}
