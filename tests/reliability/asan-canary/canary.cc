// A deliberately faulty addon: `make test-asan` first checks that each fault here is caught and
// attributed to an addon, so that a clean run of the chapters means something. Never loaded
// outside that check.
#include <node_api.h>

#include <climits>
#include <cstdint>

namespace {

// Keeps the compiler from removing an allocation or a store it could prove unused.
void Escape(void* pointer) { asm volatile("" : : "r"(pointer) : "memory"); }

__attribute__((noinline)) void LeakAnArray() {
  int* lost = new int[16];
  Escape(lost);
}

__attribute__((noinline)) void WritePastTheEnd() {
  int* array = new int[4];
  volatile int index = 4;
  array[index] = 1;
  Escape(array);
  delete[] array;
}

__attribute__((noinline)) void UndefinedArithmetic() {
  volatile int big = INT_MAX;
  volatile int sum = big + 1;  // signed overflow
  volatile double huge = 1e300;
  volatile uint64_t cast = static_cast<uint64_t>(huge);  // float-cast-overflow
  (void)sum;
  (void)cast;
}

napi_value Leak(napi_env, napi_callback_info) {
  LeakAnArray();
  return nullptr;
}

napi_value Overflow(napi_env, napi_callback_info) {
  WritePastTheEnd();
  return nullptr;
}

napi_value Undefined(napi_env, napi_callback_info) {
  UndefinedArithmetic();
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor methods[] = {
      {"leak", nullptr, Leak, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"overflow", nullptr, Overflow, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"undefinedBehavior", nullptr, Undefined, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(methods) / sizeof(methods[0]), methods);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
