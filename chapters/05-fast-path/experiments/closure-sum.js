'use strict';
// What the consumer's own code costs in batch mode: the same batch callback, adding every value,
// with its running sum
//   - in a local variable, read from the state before the loop and stored back after it;
//   - in a variable of the enclosing function (a closure variable), added to inside the loop.
// Unpaced, one producer, batch: true. Each figure is the median of five fresh processes,
// interleaved run by run; each process calls its callback on 100 000 values before the timed
// stream, and counts the garbage collections during it (a PerformanceObserver on 'gc').
//   node experiments/closure-sum.js [items]      (default 30 000 000)
const { PerformanceObserver } = require('node:perf_hooks');
const { runInterleaved, median, runAsChildOrMain } = require('./fresh-processes');

const ITEMS = Number(process.argv[2] ?? 3e7);
const RUNS = 5;
const WARM_UP = 100000;

// excerpt-begin: callbacks
// The running sum in a local: one load before the loop and one store after it, per batch.
function localSum() {
  const state = { sum: 0, delivered: 0 };
  state.callback = (values) => {
    let sum = state.sum;
    for (let k = 0; k < values.length; k++) sum += values[k];
    state.sum = sum;
    state.delivered += values.length;
  };
  return state;
}

// The running sum in a closure variable, added to at every item.
function closureSum() {
  let sum = 0;
  let delivered = 0;
  return {
    callback: (values) => {
      for (let k = 0; k < values.length; k++) sum += values[k];
      delivered += values.length;
    },
    get sum() {
      return sum;
    },
    get delivered() {
      return delivered;
    },
    reset() {
      sum = 0;
      delivered = 0;
    },
  };
}
// excerpt-end: callbacks

async function child({ row, items }) {
  const texample = require('..');
  let state = row === 'local' ? localSum() : closureSum();
  state.callback(Float64Array.from({ length: WARM_UP }, (_, k) => k));
  if (row === 'local') Object.assign(state, { sum: 0, delivered: 0 });
  else state.reset();
  let collections = 0;
  const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  texample.callback = state.callback;
  const start = process.hrtime.bigint();
  const stats = await texample.start({ count: items, rate: 0, batch: true });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await new Promise(setImmediate); // the observer's last entries
  observer.disconnect();
  // Every item once: the count, and the sum 0 + 1 + … + (items-1), exact in a double below 2^53.
  if (stats.delivered !== items || state.delivered !== items) throw new Error(`${state.delivered} of ${items} delivered`);
  if (state.sum !== (items * (items - 1)) / 2) throw new Error(`sum ${state.sum}: an item lost or repeated`);
  console.log(JSON.stringify({ perSec: items / seconds, collections }));
}

function main() {
  const rows = [
    ['running sum in a local, stored once per batch', 'local'],
    ['running sum in a closure variable', 'closure'],
  ];
  const runs = runInterleaved(__filename, rows.map(([, row]) => ({ row, items: ITEMS })), RUNS);
  console.log(`batch mode, ${ITEMS} items, median of ${RUNS} interleaved processes each`);
  rows.forEach(([name], k) => {
    const perSec = median(runs[k].map((run) => run.perSec));
    const collections = median(runs[k].map((run) => run.collections));
    console.log(`${name.padEnd(48)} ${(perSec / 1e6).toFixed(1).padStart(6)} M items/s  ${String(collections).padStart(5)} GCs`);
  });
}

runAsChildOrMain(child, main);
