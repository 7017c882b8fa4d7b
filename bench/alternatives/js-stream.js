'use strict';
// What the two JS-only alternatives share: the texample contract around a set of producer
// workers, and stats counted the way common/stats.h counts them for the chapters. They are
// baselines for the report, not chapters: no native code, no addon.
const { Worker } = require('node:worker_threads');
const { checkOptions } = require('../../common/options');

// A wake-up is an event-loop iteration that delivered something. JS cannot read libuv's
// iteration count, so an iteration's end is marked with setImmediate, which runs in the check
// phase of the iteration it was scheduled in.
class JsDeliveryCounter {
  constructor() {
    this.delivered = 0;
    this.dropped = 0;
    this.wakeups = 0;
    this.maxItemsPerWakeup = 0;
    this.peakQueueDepth = 0;
    this.thisWakeup = 0;
    this.inWakeup = false;
  }

  count(items) {
    if (items === 0) return;
    if (!this.inWakeup) {
      this.inWakeup = true;
      this.wakeups++;
      this.thisWakeup = 0;
      setImmediate(() => (this.inWakeup = false));
    }
    this.thisWakeup += items;
    this.delivered += items;
    this.maxItemsPerWakeup = Math.max(this.maxItemsPerWakeup, this.thisWakeup);
  }
}

/**
 * @param workerFile the producer worker's script; gets workerData { k, options, ...shared }
 * @param transport { open(options, workers), deliverAll(), close() } — how items travel
 */
function createJsTexample(workerFile, makeTransport) {
  let running = null;
  let counter = new JsDeliveryCounter();
  let sent = 0;

  const texample = {
    callback: undefined,

    start(options) {
      const checked = checkOptions(options);
      if (running) throw new Error('texample.start(): a stream is already running; await stop() first');
      if (typeof texample.callback !== 'function') {
        throw new TypeError(`texample.callback must be a function at start(), got ${typeof texample.callback}`);
      }
      counter = new JsDeliveryCounter();
      sent = 0;
      const transport = makeTransport(checked, (items, sentNs, n, depth = 0) =>
        deliver(items, sentNs, n, depth, checked.stamp),);
      const workers = [];
      for (let k = 0; k < checked.producers; k++) {
        workers.push(new Worker(workerFile, { workerData: { k, options: checked, ...transport.workerData(k) } }));
      }
      const exits = workers.map((worker) => new Promise((resolve, reject) => {
        worker.on('error', reject);
        worker.on('exit', resolve);
      }));
      const promise = transport.run(workers).then(async (producedCounts) => {
        await Promise.all(exits);
        sent = producedCounts.reduce((a, b) => a + b, 0);
        running = null;
        return texample.stats();
      });
      running = { promise, transport };
      return promise;
    },

    stop() {
      if (!running) return Promise.resolve(texample.stats());
      running.transport.stop();
      return running.promise;
    },

    stats() {
      const { delivered, dropped, wakeups, maxItemsPerWakeup, peakQueueDepth } = counter;
      return { sent: running ? Math.max(sent, delivered + dropped) : sent, delivered, dropped, wakeups, maxItemsPerWakeup, peakQueueDepth };
    },
  };

  // Main thread: `n` items, values in items[0..n), send times in sentNs[0..n); `depth` is how
  // many items the transport found queued (0 where it cannot see its queue).
  function deliver(items, sentNs, n, depth, stamp) {
    const callback = texample.callback;
    if (typeof callback !== 'function') {
      counter.dropped += n;
      return;
    }
    counter.peakQueueDepth = Math.max(counter.peakQueueDepth, depth);
    for (let i = 0; i < n; i++) {
      counter.count(1);
      if (stamp) callback.call(texample, items[i], sentNs[i]);
      else callback.call(texample, items[i]);
    }
  }

  return texample;
}

module.exports = { createJsTexample };
