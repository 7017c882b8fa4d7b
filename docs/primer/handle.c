// A handle's life, in libuv alone: init (which starts a uv_async_t), referenced or not, a send
// from another thread, close, and the close callback after which the memory may go.
//   cc primer/handle.c -luv -o /tmp/handle && /tmp/handle   (from docs/)
#include <stdio.h>
#include <uv.h>

static uv_async_t wake;

static void on_closed(uv_handle_t* handle) {
  (void)handle;
  printf("close callback: libuv is done with the handle; its memory may go now\n");
}

static void on_wake(uv_async_t* async) {
  printf("woken on the loop's thread; closing the handle\n");
  uv_close((uv_handle_t*)async, on_closed);
  printf("uv_close returned; is closing %d, close callback not run yet\n",
         uv_is_closing((uv_handle_t*)async));
}

static void producer(void* arg) {
  (void)arg;
  uv_async_send(&wake);  // safe from any thread
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_async_init(loop, &wake, on_wake);  // unlike other handles' init, this also starts it
  printf("after init: active %d, referenced %d\n", uv_is_active((uv_handle_t*)&wake),
         uv_has_ref((uv_handle_t*)&wake));

  uv_unref((uv_handle_t*)&wake);  // still active, but no reason to keep the loop running
  printf("unreferenced: uv_run(DEFAULT) returns at once, with %d\n", uv_run(loop, UV_RUN_DEFAULT));

  uv_ref((uv_handle_t*)&wake);  // now the loop runs until the handle is closed
  uv_thread_t thread;
  uv_thread_create(&thread, producer, NULL);
  uv_run(loop, UV_RUN_DEFAULT);  // the wake-up, then the close callback, then nothing left
  uv_thread_join(&thread);       // join before the handle's memory could go: a send reads it
  printf("uv_run returned: nothing referenced is left; uv_loop_close gives %d\n",
         uv_loop_close(loop));
  return 0;
}
