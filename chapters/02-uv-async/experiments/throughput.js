'use strict';
// Items per second into JS, 5 000 000 unpaced items from one producer, callback `sum += i`:
// the median of 7 fresh processes per chapter, taken in turns. Run it under the bench lock:
//   flock /tmp/wakeup-bench.lock node experiments/throughput.js [chapter folder …]
// With no folder it measures this chapter and chapter 1, side by side.
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const ensureBuilt = require('../../../common/setup/ensure-built');

const COUNT = 5_000_000;
const RUNS = 7;

// One run, in a process of its own: prints items/s and the number of wake-ups as JSON.
function child(modulePath) {
  const texample = require(modulePath);
  let sum = 0;
  texample.callback = (i) => {
    sum += i;
  };
  const started = process.hrtime.bigint();
  texample.start({ count: COUNT, rate: 0 }).then((stats) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (sum !== (COUNT * (COUNT - 1)) / 2) throw new Error('an item went missing');
    console.log(JSON.stringify({ itemsPerSecond: COUNT / seconds, wakeups: stats.wakeups }));
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function runOnce(folder) {
  const out = execFileSync(process.execPath, [__filename, '--child', folder], { encoding: 'utf8' });
  return JSON.parse(out);
}

// Runs the chapters in turn, RUNS rounds, so that a slow spell of the machine hits them all.
function measure(folders) {
  const runs = folders.map(() => []);
  for (let round = 0; round < RUNS; round++) {
    folders.forEach((folder, k) => runs[k].push(runOnce(folder)));
  }
  folders.forEach((folder, k) => {
    const rates = runs[k].map((r) => r.itemsPerSecond / 1e6);
    const range = `${Math.min(...rates).toFixed(1)}–${Math.max(...rates).toFixed(1)}`;
    const wakeups = median(runs[k].map((r) => r.wakeups));
    console.log(
      `${path.basename(folder).padEnd(16)} ${median(rates).toFixed(1)} M items/s ` +
        `(${range}), ${wakeups} wake-ups`,
    );
  });
}

if (process.argv[2] === '--child') {
  child(path.resolve(process.argv[3]));
} else {
  const here = path.join(__dirname, '..');
  const folders = process.argv.slice(2);
  const chapters = folders.length ? folders : [path.join(here, '../01-libev-shim'), here];
  ensureBuilt(...chapters);
  console.log(`${COUNT} unpaced items, 1 producer, median (range) of ${RUNS} processes each:`);
  measure(chapters.map((folder) => path.resolve(folder)));
}
