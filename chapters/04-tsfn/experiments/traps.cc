// Small, deliberately naive uses of napi_threadsafe_function that show how Node 20 behaves in
// the cases the chapter's page discusses. Plain Node-API calls, so that nothing hides what Node
// itself does. Not part of the texample module; experiments/*.js load it.
#include <napi.h>

#include <atomic>
#include <chrono>
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("callOnceFromThread", Napi::Function::New(env, CallOnceFromThread));
  exports.Set("abortWakesOne", Napi::Function::New(env, AbortWakesOne));
  exports.Set("blockingCallOnMainThread", Napi::Function::New(env, BlockingCallOnMainThread));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
