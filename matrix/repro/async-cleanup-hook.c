// Deno 2.9.6: an async cleanup hook that removes itself, as Node-API asks a hook to once its
// cleanup is done, is freed twice at the main thread's exit. Node and Bun exit 0.
#include <node_api.h>

static void Hook(napi_async_cleanup_hook_handle handle, void* arg) {
  (void)arg;
  napi_remove_async_cleanup_hook(handle);  // "the cleanup has finished"
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_add_async_cleanup_hook(env, Hook, NULL, NULL);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
