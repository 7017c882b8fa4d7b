// The shared library of unload.c: starts a SIGEV_THREAD timer whose callback takes 50 ms (a
// slow callback, or one preempted), and deletes the timer. Its code is all the callback runs.
#define _GNU_SOURCE
#include <signal.h>
#include <time.h>
#include <unistd.h>

static timer_t timer;
static volatile int woken;  // touched after the sleep: without it, the compiler makes usleep a
                            // tail call, which returns straight into glibc

static void OnExpiry(union sigval value) {
  (void)value;
  usleep(50000);  // returns into this library's code
  woken = woken + 1;
}

int StartTimer(void) {
  struct sigevent event = {0};
  event.sigev_notify = SIGEV_THREAD;
  event.sigev_notify_function = OnExpiry;
  const struct itimerspec every = {{0, 1000000}, {0, 1000000}};  // every 1 ms
  if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) return -1;
  return timer_settime(timer, 0, &every, NULL);
}

int StopTimer(void) { return timer_delete(timer); }
