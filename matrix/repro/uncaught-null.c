// Deno 2.9.6: an exception that nothing handles, reported with napi_fatal_exception from call_js.
// Node ends the process inside napi_fatal_exception ("Uncaught Error: boom"). Deno returns from
// it and goes on calling call_js for what is queued, and calls into JS then fail with V8's
// termination, caught as a thrown null. Reported in turn, that null replaces the error: the
// process ends with "Uncaught null". Each call_js prints the type of what it caught to stdout.
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>

static napi_threadsafe_function tsfn;

// Another thread: 20 calls at once, so that several are queued when the first one throws.
static void* Produce(void* unused) {
  (void)unused;
  for (int call = 0; call < 20; ++call) {
    napi_call_threadsafe_function(tsfn, NULL, napi_tsfn_blocking);
  }
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  return NULL;
}

static void CallJs(napi_env env, napi_value function, void* context, void* data) {
  (void)context, (void)data;
  if (env == NULL || function == NULL) return;
  napi_value receiver, exception;
  napi_get_undefined(env, &receiver);
  if (napi_call_function(env, receiver, function, 0, NULL, NULL) == napi_ok) return;
  if (napi_get_and_clear_last_exception(env, &exception) != napi_ok) return;
  napi_valuetype type;
  napi_typeof(env, exception, &type);
  printf("call_js caught a%s\n", type == napi_null     ? " null"
                                 : type == napi_object ? "n object"
                                                       : "nother value");
  fflush(stdout);
  napi_fatal_exception(env, exception);
}

static napi_value Start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value thrower, name;
  napi_get_cb_info(env, info, &argc, &thrower, NULL, NULL);
  napi_create_string_utf8(env, "repro", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, thrower, NULL, name, 0, 1, NULL, NULL, NULL, CallJs, &tsfn);
  pthread_t thread;
  pthread_create(&thread, NULL, Produce, NULL);
  pthread_detach(thread);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value start;
  napi_create_function(env, "start", NAPI_AUTO_LENGTH, Start, NULL, &start);
  napi_set_named_property(env, exports, "start", start);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
