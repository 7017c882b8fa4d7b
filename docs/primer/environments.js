'use strict';
// Environments: the main thread and each worker_thread run a Node environment of their own, with
// its own event loop, and an addon loaded in each gets its own state. Chapter 2's module, loaded in
// the main thread and in two workers, runs three streams at once, each counting only its own; a
// third worker is terminated in the middle of an endless stream, and its environment's cleanup
// hook stops the producer and closes the handle, so the process still exits by itself.
//   node primer/environments.js   (from docs/; needs `make all`)
const { Worker, isMainThread, threadId, parentPort, workerData } = require('node:worker_threads');
const texample = require('../../chapters/02-uv-async');

async function stream(count) {
  let calls = 0;
  texample.callback = () => calls++;
  const stats = await texample.start({ count, intervalMs: 0 });
  return `environment of thread ${threadId}: ${calls} calls, stats().delivered ${stats.delivered}`;
}

async function main() {
  const finite = [2000, 3000].map((count) => new Worker(__filename, { workerData: count }));
  const results = finite.map((w) => new Promise((resolve) => w.once('message', resolve)));
  console.log(await stream(1000));
  for (const line of await Promise.all(results)) console.log(line);

  const endless = new Worker(__filename, { workerData: Infinity });
  await new Promise((resolve) => endless.once('message', resolve)); // its stream has started
  console.log(`terminated mid-stream: worker exit code ${await endless.terminate()}`);
  process.on('exit', (code) => console.log(`the main thread's loop ran dry: process exit code ${code}`));
}

if (isMainThread) main();
else if (workerData === Infinity) {
  texample.callback = () => {};
  texample.start({ rate: 100000 });
  parentPort.postMessage('started');
} else stream(workerData).then((line) => parentPort.postMessage(line));
