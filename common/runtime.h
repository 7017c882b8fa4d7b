// What a chapter needs to know about the runtime that loaded it, decided through Node-API alone
// (a look at the global object, never a uv call): whether it runs a real libuv loop (Node) or
// emulates parts of libuv's API (Bun: stubs that end the process; Deno: a shim), which clock its
// process.hrtime.bigint() reads, how its async cleanup hooks end, and how an uncaught exception
// is reported.
#pragma once

#include <node_api.h>

#include <atomic>
#include <cstdint>

#include "producer.h"  // MonotonicNs, StampClockOffsetNs

namespace texample {

namespace internal {

// Set by the first environment that finds itself on Deno (RuntimeRunsLibuv, which every
// chapter's LoopIterations calls at load); one process has one runtime.
inline std::atomic<bool>& OnDeno() {
  static std::atomic<bool> deno{false};
  return deno;
}

}  // namespace internal

// Main thread of `env`. True unless the global object says the runtime is Bun or Deno, whose
// libuv is an emulation; a look at the global object, never a uv call.
inline bool RuntimeRunsLibuv(napi_env env) {
  napi_value global;
  if (napi_get_global(env, &global) != napi_ok) return false;
  bool bun = false;
  bool deno = false;
  if (napi_has_named_property(env, global, "Bun", &bun) != napi_ok ||
      napi_has_named_property(env, global, "Deno", &deno) != napi_ok) {
    return false;
  }
  if (deno) internal::OnDeno().store(true, std::memory_order_relaxed);
  return !bun && !deno;
}

// Main thread of `env`. Sets StampClockOffsetNs() so that stamps land on this runtime's
// process.hrtime.bigint() clock: Bun and Deno count hrtime from their own start, not on
// CLOCK_MONOTONIC as Node does. Each reading of hrtime is bracketed by two of MonotonicNs(); the
// tightest of a few brackets is kept, and the offset is taken against its end, the lower bound:
// a stamp may then read a little early, never later than an hrtime read after it (the contract's
// "sent before the callback saw it"). Leaves the offset alone if anything fails (stamps are then
// off by the runtime's start time, never a crash).
inline void AlignStampClock(napi_env env) {
  napi_value global, process, hrtime, bigint, now;
  if (napi_get_global(env, &global) != napi_ok ||
      napi_get_named_property(env, global, "process", &process) != napi_ok ||
      napi_get_named_property(env, process, "hrtime", &hrtime) != napi_ok ||
      napi_get_named_property(env, hrtime, "bigint", &bigint) != napi_ok) {
    return;
  }
  constexpr int kReadings = 8;
  uint64_t best_window = UINT64_MAX;
  int64_t offset = 0;
  for (int reading = 0; reading < kReadings; ++reading) {
    const uint64_t before = MonotonicNs();
    const napi_status called = napi_call_function(env, hrtime, bigint, 0, nullptr, &now);
    const uint64_t after = MonotonicNs();
    uint64_t hrtime_ns = 0;
    bool lossless = false;
    if (called != napi_ok ||
        napi_get_value_bigint_uint64(env, now, &hrtime_ns, &lossless) != napi_ok) {
      bool pending = false;
      napi_value ignored;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
        napi_get_and_clear_last_exception(env, &ignored);
      }
      return;
    }
    if (after - before < best_window) {
      best_window = after - before;
      offset = static_cast<int64_t>(hrtime_ns - after);
    }
  }
  StampClockOffsetNs().store(offset, std::memory_order_relaxed);
}

// Main thread, when an environment's async cleanup has finished: tells the runtime, which may
// then free the loop. Deno 2.9 frees the handle itself after the hook has run at the main
// thread's exit, so removing it as Node-API asks is a double free there (a 15-line reproduction
// is in matrix/repro/); on Deno the handle is left to the runtime.
inline void FinishAsyncCleanup(napi_async_cleanup_hook_handle hook) {
  if (internal::OnDeno().load(std::memory_order_relaxed)) return;
  napi_remove_async_cleanup_hook(hook);
}

// Main thread of `env`: hands an exception caught from a call into JS to napi_fatal_exception,
// which emits 'uncaughtException', or ends the process when nothing handles it. Returns whether
// JS can still run here: false when the report failed, or when the process is ending.
// Node ends the process inside napi_fatal_exception when nothing handles the exception.
// Deno returns either way; when nothing handled the exception it has asked V8 to terminate, and
// the next entry into JS fails, once, with the termination, which Node-API shows as a thrown
// null. Left to a later call, that null would look like one the callback threw, and reporting
// it would replace the error that is ending the process ("Uncaught null",
// matrix/repro/uncaught-null.c). So on Deno the next entry into JS is made here, a script that
// does nothing: if it fails, the process is ending and JS cannot run; if it runs, the exception
// was handled, and a null a callback throws later is its own, reported like any other value.
inline bool ReportUncaught(napi_env env, napi_value exception) {
  if (napi_fatal_exception(env, exception) != napi_ok) return false;
  if (!internal::OnDeno().load(std::memory_order_relaxed)) return true;
  napi_value source, ignored;
  if (napi_create_string_utf8(env, "0", NAPI_AUTO_LENGTH, &source) == napi_ok &&
      napi_run_script(env, source, &ignored) == napi_ok) {
    return true;
  }
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_get_and_clear_last_exception(env, &ignored);  // the termination's null
  }
  return false;
}

}  // namespace texample
