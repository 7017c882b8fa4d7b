'use strict';
// The trampoline (batch.js) beside the JS-loop floor it is held to, unpaced, one producer:
//   - the JS-loop floor: the same per-item callback called from a JS loop over a filled
//     Float64Array of 65 536 items, as the report's JS-loop floor does;
//   - the trampoline with its callback set once;
//   - the trampoline after the callback was replaced once, which builds a second loop (batch.js,
//     loopOver): V8 then no longer treats the callback as a constant in either loop.
// Each figure is the median of five fresh processes, interleaved run by run. Every process calls
// its callback 100 000 times and runs an untimed stream of 100 000 items before the timed one.
//   node experiments/trampoline.js [items]      (default 5 000 000)
const { runInterleaved, median, runAsChildOrMain } = require('./fresh-processes');

const ITEMS = Number(process.argv[2] ?? 5e6);
const RUNS = 5;
const WARM_UP = 100000;

// The per-item callback every row calls: checks that items come in order.
function makeCheck() {
  const state = { next: 0, wrong: 0 };
  state.check = (i) => {
    if (i !== state.next) state.wrong++;
    state.next = i + 1;
  };
  return state;
}

// Child, row 'loop': the callback from a JS loop over a Float64Array, refilled between loops; only
// the loops are timed.
function loop(state, items) {
  const values = new Float64Array(65536);
  let nanoseconds = 0n;
  for (let base = 0; base < items; base += values.length) {
    const n = Math.min(values.length, items - base);
    for (let k = 0; k < n; k++) values[k] = base + k;
    const view = n === values.length ? values : values.subarray(0, n);
    const start = process.hrtime.bigint();
    for (let k = 0; k < view.length; k++) state.check(view[k]);
    nanoseconds += process.hrtime.bigint() - start;
  }
  return Number(nanoseconds) / 1e9;
}

// Child, rows 'once' and 'replaced': one timed stream through batch.js after an untimed one; for
// 'replaced' the untimed stream runs with another function as the callback, so that the timed
// stream builds a second loop.
async function stream(state, items, replaced) {
  const texample = require('../batch.js');
  texample.callback = replaced ? (i) => state.check(i) : state.check;
  await texample.start({ count: WARM_UP, rate: 0 });
  texample.callback = state.check;
  state.next = 0;
  const start = process.hrtime.bigint();
  const stats = await texample.start({ count: items, rate: 0 });
  if (stats.delivered !== items) throw new Error(`${stats.delivered} of ${items} delivered`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function child({ row, items }) {
  const state = makeCheck();
  for (let i = 0; i < WARM_UP; i++) state.check(i);
  state.next = 0;
  const seconds = row === 'loop' ? loop(state, items) : await stream(state, items, row === 'replaced');
  if (state.wrong !== 0) throw new Error(`${state.wrong} items out of order`);
  console.log(JSON.stringify({ perSec: items / seconds }));
}

function main() {
  const rows = [
    ['JS-loop floor (same callback, 65 536 per loop)', 'loop'],
    ['trampoline, callback set once', 'once'],
    ['trampoline, callback replaced once', 'replaced'],
  ];
  const runs = runInterleaved(__filename, rows.map(([, row]) => ({ row, items: ITEMS })), RUNS);
  const medians = runs.map((list) => median(list.map((run) => run.perSec)));
  console.log(`${ITEMS} items, median of ${RUNS} interleaved processes each`);
  rows.forEach(([name], k) => {
    const share = ((100 * medians[k]) / medians[0]).toFixed(0);
    console.log(`${name.padEnd(48)} ${(medians[k] / 1e6).toFixed(1).padStart(6)} M items/s  ${share.padStart(4)}% of the floor`);
  });
}

runAsChildOrMain(child, main);
