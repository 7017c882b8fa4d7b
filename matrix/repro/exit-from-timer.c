// Bun 1.4.5: process.exit() called from a timer does not return while another thread keeps
// calling a thread-safe function: it returns only once the calls stop (here after 20 million
// of them, seconds later, its memory grown by the queue), where Node and Deno exit at once. A
// chapter whose producers never stop keeps Bun from exiting for good.
#include <node_api.h>
#include <pthread.h>

static napi_threadsafe_function tsfn;

// Another thread: calls as fast as it can until the function closes (20 million at most).
static void* Produce(void* unused) {
  (void)unused;
  long calls = 0;
  while (napi_call_threadsafe_function(tsfn, NULL, napi_tsfn_nonblocking) != napi_closing) {
    if (++calls == 20000000) break;  // a bound on memory should the process not exit
  }
  return NULL;
}

static void CallJs(napi_env env, napi_value js_callback, void* context, void* data) {
  (void)env, (void)js_callback, (void)context, (void)data;
}

static napi_value Start(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value name;
  napi_create_string_utf8(env, "repro", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, CallJs, &tsfn);
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
