// A libev-compatible subset over libuv: just what the original texample used (ev_async and the
// macros around it), so that its shape survives on a Node whose event loop is libuv.
//
// libev semantics kept:
//   - ev_async_send() is safe from any thread and returns at once;
//   - sends coalesce: many sends before the loop gets round to the watcher give one callback,
//     so the callback must handle everything that arrived, not one thing per call;
//   - the watcher carries no payload (only libev's user pointer `data`);
//   - ev_async_pending() is true from a send until the callback starts.
// Two differences. libuv imposes the first: a stopped watcher is closed asynchronously, so its
// memory must live until the loop has run the callback given to ev_async_set_closed_cb().
// The second is ordering. libev's ev_async_send puts a full fence (ECB_MEMORY_FENCE) between
// setting `sent` and reading its pending flag, and the loop one between clearing that flag and
// reading `sent`, so whatever a thread wrote before ev_async_send is seen by the callback, lock
// or not. This shim adds no fence: uv_async_send (libuv 1.46) begins with a relaxed load of the
// handle's pending flag, and a store before it may still sit in the store buffer when that load
// reads the 1 of a send the loop is already clearing; the send returns, the loop has cleared the
// flag and reads nothing new, and the wake-up is lost. So publish the payload under a lock that
// the callback also takes (chapter 1's LockedQueue): if the callback's lock comes after the
// producer's, it sees the item; if before, the loop cleared the flag before it took the lock,
// and the producer's load of the flag comes after it took the lock, so the load reads the clear
// (or a later send) and the send goes out. Anything published without that lock needs its own
// fence pair (chapter 1's end of stream: ProducerGroup::Finish and AllDone in producer.h).
//
// "The default loop" is per environment here: ev_default_loop_bind() names the loop of the
// environment running on this thread, so each worker_thread has its own, as each has its own
// libuv loop.
#pragma once

#include <uv.h>

#include <atomic>
#include <cassert>

struct ev_loop {
  uv_loop_t* uv = nullptr;
};

#define EV_P struct ev_loop* loop
#define EV_P_ EV_P,
#define EV_A loop
#define EV_A_ EV_A,
#define EV_DEFAULT_UC ev_default_loop_uc_()
#define EV_DEFAULT_UC_ EV_DEFAULT_UC,
#define EV_ASYNC 0x00080000  // libev's value for the revents of an async watcher

struct ev_async;
typedef void (*ev_async_callback)(EV_P_ ev_async* w, int revents);
typedef void (*ev_async_closed_callback)(ev_async* w);

struct ev_async {
  void* data = nullptr;                       // the user's, as in libev
  ev_async_callback cb = nullptr;             // runs on the loop's thread
  ev_async_closed_callback closed = nullptr;  // runs on the loop's thread, once, after stop
  struct ev_loop* loop = nullptr;             // set by ev_async_start
  bool active = false;                        // loop's thread only
  std::atomic<bool> sent{false};              // set by any thread, cleared by the loop's thread
  uv_async_t handle{};
};

// This thread's default loop: set by ev_default_loop_bind(), null until then.
inline struct ev_loop*& ev_shim_default_loop_slot() {
  thread_local struct ev_loop* bound = nullptr;
  return bound;
}

// The loop of the environment whose JS thread calls this.
inline struct ev_loop* ev_default_loop_uc_() {
  struct ev_loop* loop = ev_shim_default_loop_slot();
  assert(loop != nullptr && "ev_default_loop_bind() was not called on this thread");
  return loop;
}

// Binds this thread's default loop to `uv`; call it on the JS thread when the addon loads in an
// environment. The returned pointer is valid for the life of the thread.
inline struct ev_loop* ev_default_loop_bind(uv_loop_t* uv) {
  thread_local struct ev_loop default_loop;
  default_loop.uv = uv;
  ev_shim_default_loop_slot() = &default_loop;
  return &default_loop;
}

inline void ev_async_init(ev_async* w, ev_async_callback cb) {
  w->cb = cb;
  w->active = false;
  w->sent.store(false, std::memory_order_relaxed);
}

inline void ev_async_set_closed_cb(ev_async* w, ev_async_closed_callback closed) {
  w->closed = closed;
}

// excerpt-begin: fired
// Loop's thread. libuv has already cleared its own pending flag when this runs, so a send whose
// load of that flag reads the clearing gives another callback. A send whose load still reads the
// old 1 gives none, and what it published can be missed (the header says how): publish under a
// lock this callback also takes, or with a fence pair of your own.
inline void ev_shim_async_fired_(uv_async_t* handle) {
  ev_async* w = static_cast<ev_async*>(handle->data);
  // Acquire pairs with the release in ev_async_send: if this reads a send's `true`, what that
  // sender wrote before it is visible here. It cannot make a lost wake-up happen.
  w->sent.exchange(false, std::memory_order_acquire);
  w->cb(w->loop, w, EV_ASYNC);
}
// excerpt-end: fired

inline void ev_async_start(EV_P_ ev_async* w) {
  if (w->active) return;
  w->loop = loop;
  w->handle.data = w;
  const int error = uv_async_init(loop->uv, &w->handle, ev_shim_async_fired_);
  assert(error == 0);
  (void)error;
  w->active = true;
}

// excerpt-begin: send
// Any thread, between ev_async_start and ev_async_stop. `loop` must be the watcher's loop; the
// watcher already knows it, as libuv's handle does.
inline void ev_async_send(EV_P_ ev_async* w) {
  assert(loop == w->loop);
  (void)loop;
  w->sent.store(true, std::memory_order_release);
  uv_async_send(&w->handle);
}
// excerpt-end: send

inline bool ev_async_pending(ev_async* w) { return w->sent.load(std::memory_order_acquire); }

inline void ev_shim_async_closed_(uv_handle_t* handle) {
  ev_async* w = static_cast<ev_async*>(handle->data);
  if (w->closed) w->closed(w);
}

// Loop's thread. No callback runs after this returns; `closed` runs once the handle is closed.
// A send racing the stop is harmless (libuv waits for it while closing), but a send reads the
// watcher's memory: join every thread that may send before freeing the watcher or closing the
// loop. Start the watcher again only after `closed` has run.
inline void ev_async_stop(EV_P_ ev_async* w) {
  (void)loop;
  if (!w->active) return;
  w->active = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&w->handle), ev_shim_async_closed_);
}
