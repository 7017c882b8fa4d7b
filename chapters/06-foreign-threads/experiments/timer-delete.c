// Does timer_delete() wait for a SIGEV_THREAD callback already under way? glibc runs each
// expiry's function on a detached thread of its own, and its timer_delete() only takes the timer
// out of the list its helper thread reads (sysdeps/unix/sysv/linux/timer_delete.c). Each round
// arms a periodic timer, lets it fire for 10 ms, deletes it, then counts the callbacks that ran
// after timer_delete() had returned. The callbacks do nothing but count: no sleep is injected.
//   gcc -O2 -Wall -pthread experiments/timer-delete.c -o /tmp/timer-delete && /tmp/timer-delete
// Arguments: the period in ns (default 1000) and the number of rounds (default 100).
#define _GNU_SOURCE
#include <signal.h>
#include <gnu/libc-version.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

static atomic_long calls, late, running, most_at_once;
static atomic_int deleted;  // set once timer_delete() has returned

static void OnExpiry(union sigval value) {
  (void)value;
  atomic_fetch_add(&calls, 1);
  long now = atomic_fetch_add(&running, 1) + 1;
  long most = atomic_load(&most_at_once);
  while (now > most && !atomic_compare_exchange_weak(&most_at_once, &most, now)) {
  }
  if (atomic_load(&deleted)) atomic_fetch_add(&late, 1);
  atomic_fetch_sub(&running, 1);
}

int main(int argc, char** argv) {
  const long period_ns = argc > 1 ? atol(argv[1]) : 1000;
  const int rounds = argc > 2 ? atoi(argv[2]) : 100;
  long rounds_with_late = 0, most_late = 0;
  for (int round = 0; round < rounds; round++) {
    const long late_before = atomic_load(&late);
    atomic_store(&deleted, 0);
    struct sigevent event = {0};
    event.sigev_notify = SIGEV_THREAD;
    event.sigev_notify_function = OnExpiry;
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) return perror("timer_create"), 1;
    const struct itimerspec every = {{0, period_ns}, {0, period_ns}};
    if (timer_settime(timer, 0, &every, NULL) != 0) return perror("timer_settime"), 1;
    usleep(10000);
    if (timer_delete(timer) != 0) return perror("timer_delete"), 1;
    atomic_store(&deleted, 1);
    usleep(50000);  // what came after this is not counted: the next round resets `deleted`
    const long round_late = atomic_load(&late) - late_before;
    rounds_with_late += round_late > 0;
    if (round_late > most_late) most_late = round_late;
  }
  struct utsname system;
  uname(&system);
  printf("glibc %s, Linux %s, %ld CPUs\n", gnu_get_libc_version(), system.release,
         sysconf(_SC_NPROCESSORS_ONLN));
  printf("period %ld ns, %d rounds of 10 ms: %ld callbacks\n", period_ns, rounds, atomic_load(&calls));
  printf("after timer_delete() returned: %ld callbacks, in %ld of %d rounds, at most %ld in one\n",
         atomic_load(&late), rounds_with_late, rounds, most_late);
  printf("callbacks running at once: at most %ld\n", atomic_load(&most_at_once));
  return 0;
}
