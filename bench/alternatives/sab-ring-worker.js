'use strict';
// Producer worker of the SharedArrayBuffer ring baseline.
const { workerData } = require('node:worker_threads');
const { produce } = require('./pacing');
const { RING, GLOBAL, CAPACITY } = require('./sab-ring-layout');

const { ring, global, stopCell } = workerData;
const { control, values, stamps } = ring;

// Waits while the ring is full; false if stop() was called meanwhile.
function waitForRoom(write) {
  for (;;) {
    const read = Atomics.load(control, RING.READ);
    if (((write - read) | 0) < CAPACITY) return true;
    if (Atomics.load(stopCell, 0) !== 0) return false;
    Atomics.store(control, RING.PRODUCER_WAITING, 1);
    Atomics.wait(control, RING.READ, read, 1);
    Atomics.store(control, RING.PRODUCER_WAITING, 0);
  }
}

function wakeConsumer() {
  if (Atomics.load(global, GLOBAL.SLEEPING) === 1) {
    Atomics.store(global, GLOBAL.SLEEPING, 0);
    Atomics.notify(global, GLOBAL.SLEEPING);
  }
}

let write = 0; // wraps at 2^31 like the cell that publishes it
let written = 0;
produce(workerData, (n, sentNs) => {
  if (!waitForRoom(write)) return;
  values[write & (CAPACITY - 1)] = n;
  stamps[write & (CAPACITY - 1)] = sentNs;
  write = (write + 1) | 0;
  written++;
  Atomics.store(control, RING.WRITE, write); // publishes the slot (sequentially consistent)
  wakeConsumer();
});
Atomics.store(control, RING.EMITTED, written);
Atomics.store(control, RING.DONE, 1);
wakeConsumer();
