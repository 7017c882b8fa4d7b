// A deliberate data race: `make test-tsan` expects ThreadSanitizer to report it (the test passes
// only on "WARNING: ThreadSanitizer: data race"), so that a clean run of tests/native means the
// sanitizer was really there.
#include <thread>

namespace {
int shared = 0;  // written by two threads with no synchronization: the race
}

int main() {
  std::thread other([] { ++shared; });
  ++shared;
  other.join();
  return shared == 2 ? 0 : 1;
}
