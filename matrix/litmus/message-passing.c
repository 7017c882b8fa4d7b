// Message passing with relaxed atomics: what make matrix runs to show which memory order the
// arm64 runs have. One thread stores data = i, then flag = i; the other loads flag, then data.
// Nothing orders the two stores, nor the two loads, so an arm64 CPU may let the reader see a
// flag newer than the data (a reordering: data < flag). x86-64 keeps stores in order and loads
// in order, and qemu-user running arm64 code on x86-64 keeps that order too: a count of 0 there
// says that the arm64 runs check builds, instructions and behaviour, not weak-memory races.
//   aarch64-linux-gnu-gcc -O2 -pthread -o mp message-passing.c && ./mp [stores]
//   {"stores":…,"reads":…,"reorderings":…}
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

// One cache line each, so that the reader's loads are two separate lines, as in the chapters.
static _Alignas(64) atomic_long data;
static _Alignas(64) atomic_long flag;
static _Alignas(64) atomic_int done;
static long stores = 100000000;

static void* Writer(void* unused) {
  (void)unused;
  for (long i = 1; i <= stores; i++) {
    atomic_store_explicit(&data, i, memory_order_relaxed);
    atomic_store_explicit(&flag, i, memory_order_relaxed);
  }
  atomic_store_explicit(&done, 1, memory_order_release);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) stores = atol(argv[1]);
  pthread_t writer;
  if (pthread_create(&writer, NULL, Writer, NULL) != 0) return 1;
  long reads = 0;
  long reorderings = 0;
  while (!atomic_load_explicit(&done, memory_order_acquire)) {
    long seen_flag = atomic_load_explicit(&flag, memory_order_relaxed);
    long seen_data = atomic_load_explicit(&data, memory_order_relaxed);
    reads++;
    if (seen_data < seen_flag) reorderings++;
  }
  pthread_join(writer, NULL);
  printf("{\"stores\":%ld,\"reads\":%ld,\"reorderings\":%ld}\n", stores, reads, reorderings);
  return 0;
}
