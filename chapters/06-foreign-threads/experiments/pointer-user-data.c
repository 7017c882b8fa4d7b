// The first version anyone writes: the timer's sigev_value points at the stream, and stop()
// frees the stream right after timer_delete(). Built with AddressSanitizer, which reports the
// first callback that reads the freed stream; glibc ran it after timer_delete() had returned.
//   sh experiments/pointer-user-data.sh
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct Stream {
  long produced;
};

static void OnExpiry(union sigval value) {
  struct Stream* stream = value.sival_ptr;
  stream->produced++;  // after stop(), a read and a write of freed memory
}

int main(void) {
  for (int round = 1; round <= 1000; round++) {
    struct Stream* stream = calloc(1, sizeof *stream);
    struct sigevent event = {0};
    event.sigev_notify = SIGEV_THREAD;
    event.sigev_notify_function = OnExpiry;
    event.sigev_value.sival_ptr = stream;
    timer_t timer;
    const struct itimerspec every = {{0, 1000}, {0, 1000}};
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) return perror("timer_create"), 2;
    timer_settime(timer, 0, &every, NULL);
    usleep(2000);
    timer_delete(timer);  // "stop()": no new expiry, but no wait either
    free(stream);
    fprintf(stderr, "round %d\n", round);
  }
  printf("1000 rounds and no report\n");
  return 0;
}
