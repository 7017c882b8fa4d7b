// Floors for the harness, measured inside Node so that they use Node's own V8 and libuv:
//   callMany(callback, n, callsPerScope)  the JS-call floor: n calls of callback(i) from a native
//                                          loop on the main thread, no thread, no queue
//   uvPingPong(roundTrips)                 uv_async_send round trips between two threads, each
//                                          running its own loop of Node's libuv
//   pinToCpu(cpu)                          runs the calling thread on that CPU only; -1: where it
//                                          could run before the first pin (Linux)
//   pinThreads(cpu, callerOnCpu)           every other thread of the process on every CPU but
//                                          that one, the caller on it (or with the others); -1:
//                                          every thread where it could run before (Linux)
#include <dirent.h>
#include <napi.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>

namespace {

// CLOCK_MONOTONIC (steady_clock in libstdc++), uv_hrtime()'s clock, read without libuv so that
// the JS-call floor also runs on Bun and Deno, which emulate libuv (docs/portability.md).
uint64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Main thread. One HandleScope per `calls_per_scope` calls: 1 is what a naive per-item loop
// does, 1000 is the best form the fast-path chapter aims for. Returns the elapsed nanoseconds.
Napi::Value CallMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function callback = info[0].As<Napi::Function>();
  const int64_t n = info[1].As<Napi::Number>().Int64Value();
  const int64_t calls_per_scope = info[2].As<Napi::Number>().Int64Value();
  napi_value undefined = env.Undefined();
  const uint64_t start = NowNs();
  for (int64_t i = 0; i < n;) {
    Napi::HandleScope scope(env);
    for (int64_t end = std::min(n, i + calls_per_scope); i < end; ++i) {
      napi_value argv[] = {Napi::Number::New(env, static_cast<double>(i))};
      napi_value ignored;
      if (napi_call_function(env, undefined, callback, 1, argv, &ignored) != napi_ok) {
        throw Napi::Error::New(env, "callMany: the callback threw");
      }
    }
  }
  return Napi::Number::New(env, static_cast<double>(NowNs() - start));
}

// The ping-pong: the main thread's first send reaches the echo side, which answers the timing
// side, which sends again, `round_trips` times. Each side is a thread running its own loop.
struct PingPong {
  uv_loop_t timing_loop;
  uv_loop_t echo_loop;
  uv_async_t timing_async;  // owned by the timing thread's loop
  uv_async_t echo_async;    // owned by the echo thread's loop
  int64_t remaining = 0;    // timing thread only
  std::atomic<bool> done{false};
};

// Timing thread: a pong arrived.
void OnPong(uv_async_t* handle) {
  auto* pp = static_cast<PingPong*>(handle->data);
  if (--pp->remaining > 0) {
    uv_async_send(&pp->echo_async);
    return;
  }
  pp->done.store(true, std::memory_order_release);
  uv_async_send(&pp->echo_async);  // the echo side sees `done` and closes its handle
  uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);
}

// Echo thread: a ping arrived.
void OnPing(uv_async_t* handle) {
  auto* pp = static_cast<PingPong*>(handle->data);
  if (pp->done.load(std::memory_order_acquire)) {
    uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);
    return;
  }
  uv_async_send(&pp->timing_async);
}

// Blocks the main thread for the measurement. Returns the mean round trip in nanoseconds.
Napi::Value UvPingPong(const Napi::CallbackInfo& info) {
  const int64_t round_trips = info[0].As<Napi::Number>().Int64Value();
  PingPong pp;
  pp.remaining = round_trips;
  uv_loop_init(&pp.timing_loop);
  uv_loop_init(&pp.echo_loop);
  uv_async_init(&pp.timing_loop, &pp.timing_async, OnPong);
  uv_async_init(&pp.echo_loop, &pp.echo_async, OnPing);
  pp.timing_async.data = &pp;
  pp.echo_async.data = &pp;
  std::thread timing([&pp] { uv_run(&pp.timing_loop, UV_RUN_DEFAULT); });
  std::thread echo([&pp] { uv_run(&pp.echo_loop, UV_RUN_DEFAULT); });
  const uint64_t start = uv_hrtime();
  uv_async_send(&pp.echo_async);
  timing.join();
  const uint64_t elapsed = uv_hrtime() - start;
  echo.join();
  uv_loop_close(&pp.timing_loop);
  uv_loop_close(&pp.echo_loop);
  return Napi::Number::New(info.Env(), static_cast<double>(elapsed) / round_trips);
}

// The mask the process was given, read at the first pin, so that -1 gives back exactly that.
// Main thread only, as every pin is.
const cpu_set_t* OriginalMask() {
  static cpu_set_t original;
  static const bool saved = sched_getaffinity(0, sizeof original, &original) == 0;
  return saved ? &original : nullptr;
}

bool SetAffinity(pid_t tid, const cpu_set_t& set) {
  return sched_setaffinity(tid, sizeof set, &set) == 0;
}

// The masks of a pin to `cpu`: `only` that CPU and `rest` every other CPU of the original mask;
// for a negative `cpu`, both the original mask. False where `cpu` is not in the original mask (or
// past the kernel's mask size), or the original mask could not be read.
bool MasksFor(int cpu, cpu_set_t* only, cpu_set_t* rest) {
  const cpu_set_t* original = OriginalMask();
  if (original == nullptr || cpu >= CPU_SETSIZE) return false;
  *only = *original;
  *rest = *original;
  if (cpu < 0) return true;
  if (!CPU_ISSET(cpu, original)) return false;
  CPU_ZERO(only);
  CPU_SET(cpu, only);
  CPU_CLR(cpu, rest);
  return true;
}

// Main thread. The JS floors take one sample on each CPU and keep the faster (bench/run-one.js):
// on this kind of VM one vCPU at a time runs everything at little over half the other's speed,
// and a floor measured on the slow one bounds nothing. Returns whether the kernel agreed.
Napi::Value PinToCpu(const Napi::CallbackInfo& info) {
  const int cpu = info[0].As<Napi::Number>().Int32Value();
  cpu_set_t only;
  cpu_set_t rest;
  const bool pinned = MasksFor(cpu, &only, &rest) && SetAffinity(0, only);
  return Napi::Boolean::New(info.Env(), pinned);
}

// Main thread. A throughput stream's samples run with the main thread on each CPU in turn and
// every other thread (producers, a library's threads, V8's and libuv's) on the rest
// (bench/run-one.js, "Pinned arrangements"): a stream is bound by one of its threads, and only an
// arrangement that puts that thread on the fast vCPU measures what the stream can do. Threads
// inherit their creator's mask, so the harness calls this with callerOnCpu false before
// start() (the threads start() creates land on the rest) and with true right after it (the
// threads that now exist are moved, the main thread goes to `cpu`). A thread that exits while the
// list is read is skipped. Returns whether every pin the kernel was asked for held.
Napi::Value PinThreads(const Napi::CallbackInfo& info) {
  const int cpu = info[0].As<Napi::Number>().Int32Value();
  const bool caller_on_cpu = info[1].ToBoolean();
  cpu_set_t only;
  cpu_set_t rest;
  if (!MasksFor(cpu, &only, &rest) || CPU_COUNT(&rest) == 0) {
    return Napi::Boolean::New(info.Env(), false);
  }
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  bool all_held = true;
  if (DIR* tasks = opendir("/proc/self/task")) {
    while (const dirent* entry = readdir(tasks)) {
      const pid_t tid = static_cast<pid_t>(std::atoi(entry->d_name));
      if (tid <= 0 || tid == self) continue;
      if (!SetAffinity(tid, rest) && errno != ESRCH) all_held = false;
    }
    closedir(tasks);
  } else {
    all_held = false;
  }
  all_held = SetAffinity(self, caller_on_cpu ? only : rest) && all_held;
  return Napi::Boolean::New(info.Env(), all_held);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports["callMany"] = Napi::Function::New(env, CallMany, "callMany");
  exports["pinThreads"] = Napi::Function::New(env, PinThreads, "pinThreads");
  exports["pinToCpu"] = Napi::Function::New(env, PinToCpu, "pinToCpu");
  exports["uvPingPong"] = Napi::Function::New(env, UvPingPong, "uvPingPong");
  return exports;
}

}  // namespace

NODE_API_MODULE(floor, Init)
