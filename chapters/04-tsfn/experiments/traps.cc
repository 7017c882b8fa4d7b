// Small, deliberately naive uses of napi_threadsafe_function that show how Node 20 behaves in
// the cases the chapter's page discusses. Plain Node-API calls, so that nothing hides what Node
// itself does. Not part of the texample module; experiments/*.js load it.
#include <malloc.h>
#include <napi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

napi_threadsafe_function NewFunction(Napi::Env env, napi_value js_function, size_t max_queue_size,
                                     size_t thread_count,
                                     napi_threadsafe_function_call_js call_js) {
  napi_threadsafe_function tsfn = nullptr;
  const napi_status status = napi_create_threadsafe_function(
      env, js_function, nullptr, Napi::String::New(env, "traps"), max_queue_size, thread_count,
      nullptr, nullptr, nullptr, call_js, &tsfn);
  if (status != napi_ok) throw Napi::Error::New(env, "napi_create_threadsafe_function failed");
  return tsfn;
}

// callOnceFromThread(fn): a thread calls fn once through a thread-safe function with Node's own
// call_js (none given), then releases it. Whatever fn throws is left to Node.
Napi::Value CallOnceFromThread(const Napi::CallbackInfo& info) {
  napi_threadsafe_function tsfn = NewFunction(info.Env(), info[0], 0, 1, nullptr);
  std::thread([tsfn] {
    napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_blocking);
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  }).detach();
  return info.Env().Undefined();
}

void IgnoreItem(napi_env, napi_value, void*, void*) {}

// abortWakesOne(producers): a queue of one, already full; `producers` threads call with
// napi_tsfn_blocking and wait for room (the main thread is busy here, so none comes). Then the
// main thread aborts the function, as a stop() would, and counts the threads that return within
// 500 ms. Returns [parked, returned]. The threads that did not return are left waiting: the
// caller must exit the process before the loop turns (Node would free the function under them).
Napi::Value AbortWakesOne(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const unsigned producers = info[0].As<Napi::Number>().Uint32Value();
  napi_threadsafe_function tsfn = NewFunction(env, nullptr, 1, 1 + producers, IgnoreItem);
  napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking);  // the queue is full now
  auto* returned = new std::atomic<unsigned>(0);  // leaked on purpose: waiters may outlive us
  for (unsigned k = 0; k < producers; ++k) {
    std::thread([tsfn, returned] {
      napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_blocking);  // waits: queue full
      returned->fetch_add(1);
    }).detach();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let them all reach the wait
  const unsigned parked = producers - returned->load();
  napi_release_threadsafe_function(tsfn, napi_tsfn_abort);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, parked));
  result.Set(1u, Napi::Number::New(env, returned->load()));
  return result;
}

// blockingCallOnMainThread(): a queue of one; the main thread calls twice with
// napi_tsfn_blocking. The second call waits for room that only the main thread could make.
Napi::Value BlockingCallOnMainThread(const Napi::CallbackInfo& info) {
  napi_threadsafe_function tsfn = NewFunction(info.Env(), nullptr, 1, 1, IgnoreItem);
  napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_blocking);
  napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_blocking);  // never returns
  return info.Env().Undefined();
}

// abortQueuedCalls(calls, done): node-addon-api's untyped Napi::ThreadSafeFunction as its
// documentation uses it, with a lambda per call (24 bytes captured, like the chapter's). The main
// thread queues `calls` of them (it is busy here, so none runs), then aborts, as a stop() would.
// Once the function has closed, Node hands each queued call to node-addon-api's call_js with a
// null env. done() runs from the finalizer, just before that; give the loop one more turn.
Napi::Value AbortQueuedCalls(const Napi::CallbackInfo& info) {
  struct Item {
    uint64_t value;
    uint64_t sent_ns;
  };
  Napi::Env env = info.Env();
  const uint32_t calls = info[0].As<Napi::Number>().Uint32Value();
  auto* done = new Napi::FunctionReference(Napi::Persistent(info[1].As<Napi::Function>()));
  auto tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function(), "traps", 0, 1, done,
                                            [](Napi::Env, Napi::FunctionReference* done) {
                                              done->Call({});
                                              delete done;
                                            });
  for (uint32_t n = 0; n < calls; ++n) {
    const Item item{n, 0};
    tsfn.NonBlockingCall([done, item](Napi::Env, Napi::Function) { (void)item; });
  }
  tsfn.Abort();
  return env.Undefined();
}

// mallocInUse(): the bytes malloc has handed out and not had back, in every arena (glibc's
// mallinfo2). Unlike RSS it does not keep the high-water mark of a backlog that was freed since.
Napi::Value MallocInUse(const Napi::CallbackInfo& info) {
  const struct mallinfo2 heap = mallinfo2();
  return Napi::Number::New(info.Env(), static_cast<double>(heap.uordblks + heap.hblkhd));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("callOnceFromThread", Napi::Function::New(env, CallOnceFromThread));
  exports.Set("abortWakesOne", Napi::Function::New(env, AbortWakesOne));
  exports.Set("blockingCallOnMainThread", Napi::Function::New(env, BlockingCallOnMainThread));
  exports.Set("abortQueuedCalls", Napi::Function::New(env, AbortQueuedCalls));
  exports.Set("mallocInUse", Napi::Function::New(env, MallocInUse));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
