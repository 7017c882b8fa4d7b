'use strict';
// How long worker.terminate() takes while a stream's Execute() waits for its producers, for each
// build of this chapter: an unpaced stream, and one paced at 3 s per item whose next item is far
// away. Node runs Node-API async work to completion before it runs cleanup hooks, so the
// Node-API builds depend on their watch here (see the page).
//   node experiments/terminate.js
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const ROUNDS = 10;
const BUILDS = ['index.js', 'progress-worker.js', 'nan.js'];
const STREAMS = [
  ['rate: 0, 2 producers', { rate: 0, producers: 2 }],
  ['intervalMs: 3000', { intervalMs: 3000 }],
];

// Runs in the worker: starts the stream, says so 50 ms later (Execute is waiting by then).
const STREAM_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const texample = require(workerData.module);
texample.callback = () => {};
texample.start(workerData.options);
setTimeout(() => parentPort.postMessage('started'), 50);
`;

async function terminateOnce(module, options) {
  const worker = new Worker(STREAM_WORKER, { eval: true, workerData: { module, options } });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  await new Promise((resolve) => worker.once('message', resolve));
  const t0 = process.hrtime.bigint();
  await worker.terminate();
  const code = await exited;
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, code };
}

async function main() {
  console.log(`worker.terminate() during a stream, ${ROUNDS} rounds each; slowest round`);
  console.log('build                stream                 slowest ms  exit codes');
  for (const file of BUILDS) {
    for (const [label, options] of STREAMS) {
      const module = path.join(__dirname, '..', file);
      let slowest = 0;
      const codes = new Set();
      for (let round = 0; round < ROUNDS; round++) {
        const { ms, code } = await terminateOnce(module, options);
        slowest = Math.max(slowest, ms);
        codes.add(code);
      }
      const cells = `${slowest.toFixed(1).padStart(10)}  ${[...codes].join(',')}`;
      console.log(`${file.padEnd(20)} ${label.padEnd(22)} ${cells}`);
    }
  }
}

main();
