'use strict';
// What a running stream costs everyone else: each stream's Execute() holds one libuv threadpool
// thread for its whole life, and fs, crypto, dns.lookup and zlib share that pool (4 threads
// unless UV_THREADPOOL_SIZE says otherwise). This times one crypto.pbkdf2 and one fs.readFile
// with 0, 3 and 4 streams running, under the default pool and under UV_THREADPOOL_SIZE=8.
// Streams are bounded (STREAM_MS), so a call that waits for a free thread waits at most that.
//   node experiments/threadpool.js
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const CHAPTER = path.join(__dirname, '..');
const STREAM_MS = 1000; // each stream: 10 items, 100 ms apart
const STREAM = { count: 10, intervalMs: STREAM_MS / 10 };

// Runs in a worker_thread: one stream; tells the parent once it runs and when it has ended.
const STREAM_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const texample = require(workerData.chapter);
let first = true;
texample.callback = () => {
  if (first) parentPort.postMessage('running');
  first = false;
};
texample.start(workerData.options).then(() => parentPort.postMessage('ended'));
`;

function timed(start) {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    start((error) => (error ? reject(error) : resolve(Number(process.hrtime.bigint() - t0) / 1e6)));
  });
}

function pbkdf2(done) {
  crypto.pbkdf2('secret', 'salt', 100000, 64, 'sha512', done);
}

function readFile(done) {
  fs.readFile(__filename, done);
}

// Starts `n` streams, each in a worker_thread of its own (one stream per environment), and
// resolves once every one of them has delivered its first item, i.e. holds a threadpool thread,
// with { ended }, a promise of their end (wrapped: an async function would wait for it).
async function startStreams(n) {
  const ended = [];
  const running = [];
  for (let i = 0; i < n; i++) {
    const worker = new Worker(STREAM_WORKER, {
      eval: true,
      workerData: { chapter: CHAPTER, options: STREAM },
    });
    running.push(new Promise((resolve) => worker.once('message', resolve)));
    ended.push(new Promise((resolve) => worker.once('exit', resolve)));
  }
  await Promise.all(running);
  return { ended: Promise.all(ended) };
}

// One measurement in this process: `streams` streams running, then both calls at once.
async function measure(streams) {
  await Promise.all([timed(pbkdf2), timed(readFile)]); // warm up: the pool's threads exist now
  const { ended } = await startStreams(streams);
  const [pbkdf2Ms, readFileMs] = await Promise.all([timed(pbkdf2), timed(readFile)]);
  await ended;
  return { pbkdf2Ms, readFileMs };
}

function child(streams, poolSize) {
  const env = { ...process.env };
  if (poolSize === undefined) delete env.UV_THREADPOOL_SIZE;
  else env.UV_THREADPOOL_SIZE = String(poolSize);
  const result = spawnSync(process.execPath, [__filename, 'measure', String(streams)], {
    env,
    encoding: 'utf8',
    timeout: 30_000, // a bounded experiment: never hang
  });
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr || result.signal}`);
  return JSON.parse(result.stdout);
}

function main() {
  const rows = [
    ['4 (default)', 0, undefined],
    ['4 (default)', 3, undefined],
    ['4 (default)', 4, undefined],
    ['8', 4, 8],
  ];
  console.log(`each stream lasts ${STREAM_MS} ms; times in ms, median of 3 fresh processes`);
  console.log('pool size     streams  pbkdf2  fs.readFile');
  for (const [label, streams, poolSize] of rows) {
    const runs = [0, 1, 2].map(() => child(streams, poolSize));
    const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[1];
    const cells = [median('pbkdf2Ms'), median('readFileMs')].map((ms) => ms.toFixed(1).padStart(7));
    console.log(`${label.padEnd(13)} ${String(streams).padStart(7)} ${cells[0]} ${cells[1]}`);
  }
}

if (process.argv[2] === 'measure') {
  measure(Number(process.argv[3])).then((result) => console.log(JSON.stringify(result)));
} else {
  main();
}
