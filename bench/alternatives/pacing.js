'use strict';
// Producer-side pacing for the JS alternatives, the same rule as common/producer.h: item n is
// due at start + (n+1)·period; a producer that is behind does not sleep. Worker threads sleep
// with Atomics.wait on a cell that stop() notifies, so a sleeping producer wakes at once.

function nowNs() {
  return Number(process.hrtime.bigint());
}

// Returns false when `stopCell` (an Int32Array index 0) was set while waiting.
function sleepUntil(dueNs, stopCell) {
  for (;;) {
    if (Atomics.load(stopCell, 0) !== 0) return false;
    const remainingMs = (dueNs - nowNs()) / 1e6;
    if (remainingMs <= 0) return true;
    Atomics.wait(stopCell, 0, 0, remainingMs);
  }
}

// Calls emit(n, sentNs) for producer k's items; returns how many it emitted.
function produce({ k, options, stopCell }, emit, beforeSleep = () => {}) {
  const { count, periodNs, producers, stamp } = options;
  const start = nowNs();
  let emitted = 0;
  for (let n = k; n < count; n += producers) {
    if (Atomics.load(stopCell, 0) !== 0) break;
    if (periodNs !== 0) {
      const due = start + (n + 1) * periodNs;
      if (nowNs() < due) {
        beforeSleep();
        if (!sleepUntil(due, stopCell)) break;
      }
    }
    emit(n, stamp ? nowNs() : 0);
    emitted++;
  }
  return emitted;
}

module.exports = { produce, nowNs };
