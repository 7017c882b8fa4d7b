// Deno 2.9.6: a thread-safe function that stop() aborts while another thread keeps calling it.
// Node (and Bun) call call_js for no queued item after the Abort, except with a null env to let
// it free the item. Deno calls it with a real env and the function for every call queued before
// the Abort, and with a real env and no function for a call that raced the Abort, after the
// finalizer has run. Prints the calls by kind after 200 streams of about 1 ms each.
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>

static napi_threadsafe_function tsfn;
static pthread_t producer;
// Main thread only.
static int aborted, finalized;
static long open_calls, after_abort, after_finalizer, without_function, null_env;

// Another thread: calls as fast as it can until the function refuses for good.
static void* Produce(void* unused) {
  (void)unused;
  napi_status status;
  do {
    status = napi_call_threadsafe_function(tsfn, NULL, napi_tsfn_nonblocking);
  } while (status == napi_ok || status == napi_queue_full);
  return NULL;
}

static void CallJs(napi_env env, napi_value function, void* context, void* data) {
  (void)context, (void)data;
  if (env == NULL) {
    ++null_env;
    return;
  }
  if (function == NULL) ++without_function;  // it is Noop below whenever Node passes an env
  if (finalized)
    ++after_finalizer;
  else if (aborted)
    ++after_abort;
  else
    ++open_calls;
}

static void Finalize(napi_env env, void* data, void* hint) {
  (void)env, (void)data, (void)hint;
  pthread_join(producer, NULL);
  finalized = 1;
}

static napi_value Noop(napi_env env, napi_callback_info info) {
  (void)env, (void)info;
  return NULL;
}

static napi_value Start(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value name, function;
  napi_create_string_utf8(env, "repro", NAPI_AUTO_LENGTH, &name);
  napi_create_function(env, "noop", NAPI_AUTO_LENGTH, Noop, NULL, &function);
  aborted = finalized = 0;
  napi_create_threadsafe_function(env, function, NULL, name, 256, 1, NULL, Finalize, NULL, CallJs,
                                  &tsfn);
  pthread_create(&producer, NULL, Produce, NULL);
  return NULL;
}

static napi_value Stop(napi_env env, napi_callback_info info) {
  (void)env, (void)info;
  aborted = 1;
  napi_release_threadsafe_function(tsfn, napi_tsfn_abort);
  return NULL;
}

static napi_value Counts(napi_env env, napi_callback_info info) {
  (void)info;
  char text[200];
  snprintf(text, sizeof text,
           "with an env: %ld open, %ld after the abort, %ld after the finalizer, %ld of them "
           "without the function; with a null env: %ld",
           open_calls, after_abort, after_finalizer, without_function, null_env);
  napi_value result;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result);
  return result;
}

static void Export(napi_env env, napi_value exports, const char* name, napi_callback callback) {
  napi_value function;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &function);
  napi_set_named_property(env, exports, name, function);
}

static napi_value Init(napi_env env, napi_value exports) {
  Export(env, exports, "start", Start);
  Export(env, exports, "stop", Stop);
  Export(env, exports, "counts", Counts);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
