'use strict';
// Producer worker of the postMessage baseline.
const { parentPort, workerData } = require('node:worker_threads');
const { produce } = require('./pacing');

const BATCH = 1000;
const { options, stopCell, batch } = workerData;
let values = new Float64Array(BATCH);
let stamps = new Float64Array(BATCH);
let length = 0;

function flush() {
  if (length === 0) return;
  // The buffers are transferred, not copied; the worker starts new ones.
  parentPort.postMessage({ values, stamps, length }, [values.buffer, stamps.buffer]);
  values = new Float64Array(BATCH);
  stamps = new Float64Array(BATCH);
  length = 0;
}

function emitOne(n, sentNs) {
  parentPort.postMessage(options.stamp ? [n, sentNs] : n);
}

function emitBatched(n, sentNs) {
  values[length] = n;
  stamps[length] = sentNs;
  if (++length === BATCH) flush();
}

const emitted = produce(workerData, batch ? emitBatched : emitOne, flush);
flush();
parentPort.postMessage({ done: true, emitted });
