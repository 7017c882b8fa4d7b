// What Node does to an addon when the last worker_thread that loaded it ends: dlclose(). Here a
// library starts a SIGEV_THREAD timer, deletes it (timer_delete() does not wait for the
// callbacks under way) and is closed while they sleep in its code; they return into memory that
// is no longer mapped. Linked with -z nodelete, dlclose() leaves it mapped and nothing happens.
//   sh experiments/unload.sh
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return fprintf(stderr, "usage: unload LIBRARY.so\n"), 2;
  void* library = dlopen(argv[1], RTLD_NOW);
  if (library == NULL) return fprintf(stderr, "%s\n", dlerror()), 1;
  int (*start)(void) = (int (*)(void))dlsym(library, "StartTimer");
  int (*stop)(void) = (int (*)(void))dlsym(library, "StopTimer");
  if (start == NULL || stop == NULL || start() != 0) return fprintf(stderr, "no timer\n"), 1;
  usleep(20000);  // callbacks start every 1 ms and take 50 ms: several are under way
  stop();
  dlclose(library);
  usleep(100000);  // they wake up in the meantime
  printf("still running 100 ms after dlclose()\n");
  return 0;
}
