'use strict';
// One process of the foreign-thread storm (foreign-storm.js). Two kinds:
//   node foreign-storm-child.js terminate <module> <rounds> <concurrency> <lateMs>
//       `rounds` worker_threads, `concurrency` at a time, each streaming from the library's
//       threads (two producers, unpaced, at-once unsubscribe with lateMs), each terminated
//       mid-stream; meanwhile the main thread streams too. Then waits until every library thread
//       has finished (each stops only when a call is refused: lateMs is far longer than the run),
//       stops the main stream, and prints one JSON line.
//   node foreign-storm-child.js exit <module> <callback|timer|worker> <lateMs>
//       process.exit(0) mid-stream, with two workers streaming as well: from the main thread's
//       callback, from a timer, or from inside a worker's callback (which ends that worker), then
//       from the main thread. The parent expects exit code 0.
const { Worker } = require('node:worker_threads');

const [kind, modulePath, ...rest] = process.argv.slice(2);
const texample = require(modulePath);

// The worker's code: a stream that posts 'running' once `warmItems` items have arrived.
// `exitInside`: process.exit() from the callback instead (ends the worker, not the process).
function workerSource({ lateMs, warmItems, exitInside = false }) {
  return `
    const { parentPort } = require('node:worker_threads');
    const texample = require(${JSON.stringify(modulePath)});
    let delivered = 0;
    texample.callback = () => {
      if (++delivered !== ${warmItems}) return;
      ${exitInside ? 'process.exit(0);' : "parentPort.postMessage('running');"}
    };
    texample.start({ producers: 2, rate: 0, unsubscribe: 'at-once', lateMs: ${lateMs} });
  `;
}

function startWorker(options) {
  const worker = new Worker(workerSource(options), { eval: true });
  const exited = new Promise((resolve) => worker.on('exit', resolve));
  const running = new Promise((resolve) => worker.once('message', resolve));
  return { worker, exited, running };
}

async function until(condition) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

function difference(after, before) {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - before[key]]));
}

// Ends a worker at one of three moments after it reported running, so that the teardown meets
// the library's threads in different states: at once, after the loop turns once, after 1 ms.
async function terminateAt(round, { worker, running }) {
  await running;
  if (round % 3 === 1) await new Promise((resolve) => setImmediate(resolve));
  if (round % 3 === 2) await new Promise((resolve) => setTimeout(resolve, 1));
  await worker.terminate();
}

async function terminateStorm(rounds, concurrency, lateMs) {
  const before = texample.libraryStats();
  const items = [];
  texample.callback = (i) => items.push(i);
  const mainStream = texample.start({ producers: 2, rate: 20000, unsubscribe: 'at-once', lateMs });
  const exitCodes = {};
  let next = 0;
  async function lane() {
    while (next < rounds) {
      const round = next++;
      const started = startWorker({ lateMs, warmItems: 100 });
      await terminateAt(round, started);
      const code = await started.exited;
      exitCodes[code] = (exitCodes[code] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const mainStats = await texample.stop();
  await mainStream;
  // Every library thread of the terminated workers, and of the main stream, stops at its first
  // refused call: lateMs is far longer than this wait, so reaching 0 means each was refused.
  await until(() => texample.libraryStats().threadsRunning === 0);
  const library = difference(texample.libraryStats(), before);
  const ordered = [0, 1].every((k) => {
    const mine = items.filter((i) => i % 2 === k);
    return mine.every((item, index) => item === k + 2 * index);
  });
  return { rounds, exitCodes, library, mainStats, mainItemsInOrder: ordered && items.length === mainStats.delivered };
}

function exitStorm(variant, lateMs) {
  startWorker({ lateMs, warmItems: 100, exitInside: variant === 'worker' });
  startWorker({ lateMs, warmItems: 100 });
  let delivered = 0;
  texample.callback = () => {
    delivered++;
    if (variant === 'callback' && delivered === 2000) process.exit(0);
    if (variant === 'timer' && delivered === 1) setTimeout(() => process.exit(0), 5);
    if (variant === 'worker' && delivered === 2000) setTimeout(() => process.exit(0), 5);
  };
  texample.start({ producers: 2, rate: 0, unsubscribe: 'at-once', lateMs });
}

if (kind === 'terminate') {
  const [rounds, concurrency, lateMs] = rest.map(Number);
  terminateStorm(rounds, concurrency, lateMs).then((result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
} else if (kind === 'exit') {
  exitStorm(rest[0], Number(rest[1]));
} else {
  console.error(`unknown kind ${kind}`);
  process.exit(2);
}
