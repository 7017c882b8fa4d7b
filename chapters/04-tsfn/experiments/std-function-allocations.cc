// How many allocations node-addon-api's untyped ThreadSafeFunction makes per call: it copies the
// callback into `new std::function<void(Napi::Env, Napi::Function)>`. libstdc++ keeps a callable
// inside the std::function only if it is trivially copyable and at most 16 bytes; a bigger one
// goes to the heap as well. Stand-ins for Env and Function; malloc, which operator new calls,
// counts its calls (glibc: __libc_malloc is the real one).
//   g++ -std=c++17 -O2 std-function-allocations.cc -o /tmp/allocations && /tmp/allocations
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>

namespace {
int allocations = 0;
}

extern "C" void* __libc_malloc(size_t size);
extern "C" void* malloc(size_t size) {
  ++allocations;
  return __libc_malloc(size);
}

struct Item {
  uint64_t value;
  uint64_t sent_ns;
};
struct Env {};
struct Function {};
using CallbackWrapper = std::function<void(Env, Function)>;  // as in napi.h

template <class Lambda>
void Count(const char* what, Lambda lambda) {
  allocations = 0;
  CallbackWrapper* wrapper = new CallbackWrapper(lambda);  // as ThreadSafeFunction::BlockingCall
  std::printf("%-14s %2zu bytes: %d allocation%s per call\n", what, sizeof(lambda), allocations,
              allocations == 1 ? "" : "s");
  delete wrapper;
}

int main() {
  const Item item{1, 2};
  const void* self = &item;
  Count("[this, item]", [self, item](Env, Function) { (void)self, (void)item; });
  Count("[item]", [item](Env, Function) { (void)item; });
}
