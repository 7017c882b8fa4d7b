'use strict';
// Baseline: each producer worker writes into its own SharedArrayBuffer ring; the main thread
// sleeps in Atomics.waitAsync and drains every ring per wake-up. A full ring makes its producer
// wait (backpressure); nothing is dropped.
const path = require('node:path');
const { createJsTexample } = require('./js-stream');
const { RING, GLOBAL, CAPACITY } = require('./sab-ring-layout');

const WORKER = path.join(__dirname, 'sab-ring-worker.js');

function makeRing() {
  return {
    control: new Int32Array(new SharedArrayBuffer(4 * RING.SIZE)),
    values: new Float64Array(new SharedArrayBuffer(8 * CAPACITY)),
    stamps: new Float64Array(new SharedArrayBuffer(8 * CAPACITY)),
  };
}

function yieldToLoop() {
  return new Promise((resolve) => setImmediate(resolve));
}

function createSabRingTexample() {
  return createJsTexample(WORKER, (options, deliver) => {
    const stopCell = new Int32Array(new SharedArrayBuffer(4));
    const global = new Int32Array(new SharedArrayBuffer(4 * GLOBAL.SIZE));
    const rings = Array.from({ length: options.producers }, makeRing);
    const batchValues = new Float64Array(CAPACITY);
    const batchStamps = new Float64Array(CAPACITY);

    // Main thread: copies what one ring holds, frees the slots, then delivers.
    function drain(ring) {
      const write = Atomics.load(ring.control, RING.WRITE);
      let read = Atomics.load(ring.control, RING.READ);
      const n = (write - read) | 0;
      for (let i = 0; i < n; i++, read = (read + 1) | 0) {
        batchValues[i] = ring.values[read & (CAPACITY - 1)];
        batchStamps[i] = ring.stamps[read & (CAPACITY - 1)];
      }
      Atomics.store(ring.control, RING.READ, read);
      if (n > 0 && Atomics.load(ring.control, RING.PRODUCER_WAITING) === 1) {
        Atomics.notify(ring.control, RING.READ);
      }
      deliver(batchValues, batchStamps, n, n);
      return n;
    }

    const pending = () => rings.some((r) => Atomics.load(r.control, RING.WRITE) !== Atomics.load(r.control, RING.READ));
    const allDone = () => rings.every((r) => Atomics.load(r.control, RING.DONE) === 1);

    async function consume() {
      for (;;) {
        const done = allDone(); // before draining, as in the chapters
        let n = 0;
        for (const ring of rings) n += drain(ring);
        if (done) return rings.map((r) => Atomics.load(r.control, RING.EMITTED));
        if (n > 0) {
          await yieldToLoop();
          continue;
        }
        // Announce the sleep, then look again: a producer that wrote before seeing SLEEPING
        // is caught by this second look (all Atomics operations are sequentially consistent).
        Atomics.store(global, GLOBAL.SLEEPING, 1);
        if (pending() || allDone()) {
          Atomics.store(global, GLOBAL.SLEEPING, 0);
          continue;
        }
        const wait = Atomics.waitAsync(global, GLOBAL.SLEEPING, 1);
        if (wait.async) await wait.value;
      }
    }

    return {
      workerData: (k) => ({ stopCell, global, ring: rings[k] }),
      run: () => consume(),
      stop() {
        Atomics.store(stopCell, 0, 1);
        Atomics.notify(stopCell, 0);
        for (const ring of rings) Atomics.notify(ring.control, RING.READ);
      },
    };
  });
}

module.exports = { createSabRingTexample };
