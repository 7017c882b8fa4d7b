'use strict';
// Busy-polling (the pollUs option): send→callback latency against CPU time, per window and rate.
// One producer, paced; each row is the median of three fresh processes, interleaved run by run,
// of each process's p50 and p99 (every item stamped) and of its CPU time (both threads, user and
// system) per second of stream. A window shorter than the gap between items never catches the
// next one; a longer one catches every item, and the main thread never sleeps.
//   node experiments/busy-poll.js
const { createHistogram } = require('node:perf_hooks');
const { runInterleaved, median, runAsChildOrMain } = require('./fresh-processes');

const WINDOWS_US = [0, 50, 200, 1000];
const RATES = [1000, 10000]; // items per second: 1000 µs and 100 µs between items
const SECONDS = 1;
const RUNS = 3;

// Child: one paced stream, every item's latency recorded.
async function child({ pollUs, rate }) {
  const texample = require('..');
  const histogram = createHistogram();
  texample.callback = (i, sentNs) => {
    histogram.record(Math.max(1, Number(process.hrtime.bigint() - BigInt(sentNs))));
  };
  const count = rate * SECONDS;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const stats = await texample.start({ count, rate, stamp: true, pollUs });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  if (stats.delivered !== count) throw new Error(`${stats.delivered} of ${count} delivered`);
  console.log(
    JSON.stringify({
      p50: histogram.percentile(50) / 1000,
      p99: histogram.percentile(99) / 1000,
      cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / seconds,
      itemsPerWakeup: stats.delivered / stats.wakeups,
    }),
  );
}

function main() {
  const configs = RATES.flatMap((rate) => WINDOWS_US.map((pollUs) => ({ rate, pollUs })));
  const runs = runInterleaved(__filename, configs, RUNS);
  console.log(`one producer, ${SECONDS} s per process, median of ${RUNS} interleaved processes each`);
  console.log('rate/s  pollUs  p50 µs  p99 µs  CPU ms per s');
  configs.forEach(({ rate, pollUs }, k) => {
    const pick = (key) => median(runs[k].map((run) => run[key]));
    console.log(
      `${String(rate).padStart(6)}  ${String(pollUs).padStart(6)}  ${pick('p50').toFixed(1).padStart(6)}  ` +
        `${pick('p99').toFixed(1).padStart(6)}  ${pick('cpuMsPerSecond').toFixed(0).padStart(12)}`,
    );
  });
}

runAsChildOrMain(child, main);
