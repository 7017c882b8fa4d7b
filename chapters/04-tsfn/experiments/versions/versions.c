// Three behaviours of napi_threadsafe_function that changed across Node versions, in plain
// Node-API so that nothing hides what Node does (experiments/node-versions.js runs them). Built
// twice from this file: api8 (NAPI_VERSION 8, the chapters' setting) and api10 (NAPI_VERSION 10:
// the addon reports Node-API 10 to Node, which opts it into the newer behaviour). Node 20's
// headers build both; only the number the module reports differs.
#include <node_api.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void Sleep(int ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static napi_value Int(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

static napi_value Name(napi_env env) {
  napi_value v;
  napi_create_string_utf8(env, "versions", NAPI_AUTO_LENGTH, &v);
  return v;
}

// 1. throwFromCallJs(fn, own): a thread calls fn once. With own false, through Node's own call_js
// (none given): what fn throws is left pending for Node to report. With own true, through a
// call_js that catches it and hands it to napi_fatal_exception, as the chapter does.
static void OwnCallJs(napi_env env, napi_value fn, void* context, void* data) {
  (void)context, (void)data;
  if (env == NULL) return;
  napi_value undefined, result, error;
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, fn, 0, NULL, &result) == napi_ok) return;
  napi_get_and_clear_last_exception(env, &error);
  napi_fatal_exception(env, error);
}

static void* CallOnce(void* tsfn) {
  napi_call_threadsafe_function(tsfn, NULL, napi_tsfn_blocking);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  return NULL;
}

static napi_value ThrowFromCallJs(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool own = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_bool(env, argv[1], &own);
  napi_threadsafe_function tsfn;
  napi_create_threadsafe_function(env, argv[0], NULL, Name(env), 0, 1, NULL, NULL, NULL,
                                  own ? OwnCallJs : NULL, &tsfn);
  pthread_t thread;
  pthread_create(&thread, NULL, CallOnce, tsfn);
  pthread_detach(thread);
  return NULL;
}

// 2. finalizerOrder(calls): the main thread queues `calls` items and aborts, as a stop() would.
// Node then calls the finalizer once and call_js once per queued item with a null env, in some
// order; order() afterwards returns the position of the finalizer among those events (0: first,
// `calls`: after every item).
static int events = 0;
static int finalizer_at = -1;

static void CountNullEnv(napi_env env, napi_value fn, void* context, void* data) {
  (void)fn, (void)context, (void)data;
  if (env == NULL) ++events;
}

static void Finalizer(napi_env env, void* data, void* hint) {
  (void)env, (void)data, (void)hint;
  finalizer_at = events;
}

static napi_value FinalizerOrder(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t calls = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_value_uint32(env, argv[0], &calls);
  napi_threadsafe_function tsfn;
  napi_create_threadsafe_function(env, NULL, NULL, Name(env), 0, 1, NULL, Finalizer, NULL,
                                  CountNullEnv, &tsfn);
  for (uint32_t k = 0; k < calls; ++k) napi_call_threadsafe_function(tsfn, NULL, napi_tsfn_nonblocking);
  napi_release_threadsafe_function(tsfn, napi_tsfn_abort);
  return NULL;
}

static napi_value Order(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, Int(env, finalizer_at));
  napi_set_element(env, result, 1, Int(env, events));
  return result;
}

// 3. holdInWorker(use): in a worker, a thread holds the function (its one thread count)
// without coordinating with the environment's teardown, as an addon without a cleanup hook of its
// own does. The environment's cleanup hooks run in reverse order of registration, so Node's own
// hook for the function (registered at its creation) runs first, then this one, which only records
// that the environment is going away. 100 ms later the thread calls the function once (use 0),
// releases its count (use 1), or calls and then releases (use 2: the documentation forbids the
// release, a call that returns napi_closing has given the count back). Each status goes to
// stderr, which outlives the worker; a process that aborts inside a call prints nothing more.
typedef struct {
  napi_threadsafe_function tsfn;
  int32_t use;
  atomic_int gone;
} Held;

static void NoCallJs(napi_env env, napi_value fn, void* context, void* data) {
  (void)env, (void)fn, (void)context, (void)data;
}

static void EnvGone(void* arg) { atomic_store(&((Held*)arg)->gone, 1); }

static void* HoldThenUse(void* arg) {
  Held* held = arg;
  while (!atomic_load(&held->gone)) Sleep(1);
  Sleep(100);
  if (held->use != 1) {
    const napi_status status = napi_call_threadsafe_function(held->tsfn, NULL, napi_tsfn_nonblocking);
    fprintf(stderr, "thread after teardown: call %d\n", status);
  }
  if (held->use != 0) {
    const napi_status status = napi_release_threadsafe_function(held->tsfn, napi_tsfn_release);
    fprintf(stderr, "thread after teardown: release %d\n", status);
  }
  return NULL;  // `held` is leaked on purpose: nothing else knows when the thread is done
}

static napi_value HoldInWorker(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Held* held = calloc(1, sizeof(Held));
  napi_get_value_int32(env, argv[0], &held->use);
  napi_create_threadsafe_function(env, NULL, NULL, Name(env), 0, 1, NULL, NULL, NULL, NoCallJs,
                                  &held->tsfn);
  napi_add_env_cleanup_hook(env, EnvGone, held);
  pthread_t thread;
  pthread_create(&thread, NULL, HoldThenUse, held);
  pthread_detach(thread);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"throwFromCallJs", NULL, ThrowFromCallJs, NULL, NULL, NULL, napi_default, NULL},
      {"finalizerOrder", NULL, FinalizerOrder, NULL, NULL, NULL, napi_default, NULL},
      {"order", NULL, Order, NULL, NULL, NULL, napi_default, NULL},
      {"holdInWorker", NULL, HoldInWorker, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(methods) / sizeof(methods[0]), methods);
  return exports;
}
