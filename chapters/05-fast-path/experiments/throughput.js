'use strict';
// Chapter 5 beside the JS-call floor, unpaced, one producer, each figure the median of five
// fresh processes, interleaved (bench/run-one.js, the harness's own runner, so the same checks and
// the same warm-up run):
//   - the floor: a native loop calling the callback, one HandleScope per 1000 calls (Node-API);
//   - per-item mode, and batch mode with a callback that adds every value (as light as the
//     floor's callback); each also built with symmetric fences (a seq_cst fence per push), and
//     batch mode built without the producer's write prefetch (ring.h).
//   node experiments/throughput.js [items]      (default 3 000 000; batch mode gets 10 times more)
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..', '..');
const RUN_ONE = path.join(ROOT, 'bench', 'run-one.js');
const ITEMS = Number(process.argv[2] ?? 3e6);

function buildFloor() {
  const build = path.join(ROOT, 'common', 'setup', 'build-addon.js');
  execFileSync(process.execPath, [build, path.join(ROOT, 'bench', 'floor')], { stdio: 'ignore' });
}

function run(job) {
  const output = execFileSync(process.execPath, [RUN_ONE, JSON.stringify(job)], { encoding: 'utf8' });
  const result = JSON.parse(output.trim().split('\n').at(-1));
  if (result.error || result.problems?.length) throw new Error(result.error ?? result.problems.join('; '));
  return result;
}

const RUNS = 5;

// Each configuration in RUNS fresh processes, interleaved run by run so that a slow minute of the
// machine touches every row alike; the median run of each.
function medians(rows) {
  const values = rows.map(() => []);
  for (let r = 0; r < RUNS; r++) rows.forEach(([, job, pick], k) => values[k].push(pick(run(job))));
  return values.map((list) => list.sort((a, b) => a - b)[RUNS >> 1]);
}

function stream(modulePath, { count = ITEMS, startOptions, callback, checks } = {}) {
  const job = { kind: 'stream', target: { modulePath, startOptions, callback }, options: { count, rate: 0 }, checks };
  return [job, (r) => r.deliveredPerSec];
}

function batch(modulePath) {
  return stream(modulePath, { count: ITEMS * 10, startOptions: { batch: true }, callback: 'batch', checks: 'sum' });
}

function main() {
  buildFloor();
  const chapter = path.join(__dirname, '..');
  const floorJob = { kind: 'js-call-floor', calls: ITEMS, callsPerScope: 1000, api: 'node-api' };
  const rows = [
    ['JS-call floor (Node-API, scope per 1000 calls)', floorJob, (r) => r.callsPerSec],
    ['per-item mode', ...stream(chapter)],
    ['per-item mode, symmetric fences', ...stream(path.join(__dirname, 'symmetric.js'))],
    ['batch mode, callback adds every value', ...batch(chapter)],
    ['batch mode, symmetric fences', ...batch(path.join(__dirname, 'symmetric.js'))],
    ['batch mode, no write prefetch', ...batch(path.join(__dirname, 'no-prefetch.js'))],
  ];
  const perSec = medians(rows);
  console.log(`${ITEMS} items (batch mode: ${ITEMS * 10}), median of ${RUNS} interleaved processes each`);
  rows.forEach(([name], k) => {
    const share = (perSec[k] / perSec[0]).toFixed(2);
    console.log(`${name.padEnd(48)} ${(perSec[k] / 1e6).toFixed(1).padStart(6)} M items/s  ${share.padStart(5)}× floor`);
  });
}

main();
