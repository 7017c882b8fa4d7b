'use strict';
// How long worker.terminate() takes while chapter 1 is overloaded: a worker streams with one
// producer flat out to a callback that spins 20 µs per item, so the queue grows by about a
// million items a second; after `seconds` of it the main thread terminates the worker and times
// the call, from terminate() to the worker's 'exit'.
//   node chapters/01-libev-shim/experiments/terminate.js [seconds …]   (default: 0.5 1 2)
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const MODULE = path.join(__dirname, '..');
const WORKER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const texample = require(workerData.module);
  texample.callback = () => {
    const until = process.hrtime.bigint() + 20_000n;
    while (process.hrtime.bigint() < until);
  };
  texample.start({ count: Infinity, rate: 0 });`;

async function once(seconds) {
  const worker = new Worker(WORKER, { eval: true, workerData: { module: MODULE } });
  await new Promise((resolve) => worker.once('online', resolve));
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const start = process.hrtime.bigint();
  await worker.terminate();
  await exited;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`overload ${seconds} s: terminate() took ${ms.toFixed(0)} ms`);
}

(async () => {
  const runs = process.argv.slice(2).map(Number);
  for (const seconds of runs.length > 0 ? runs : [0.5, 1, 2]) await once(seconds);
})();
