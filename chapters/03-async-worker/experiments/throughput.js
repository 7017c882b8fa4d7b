'use strict';
// Items per second into JS for the three builds of this chapter: one producer, unpaced, 1 000 000
// items, callback `cb(i)`. Median of 3 fresh processes each. Not the project's harness (bench/);
// a quick figure for this page.
//   node experiments/throughput.js
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const COUNT = 1_000_000;
const BUILDS = [
  ['AsyncProgressQueueWorker', 'index.js'],
  ['AsyncProgressWorker', 'progress-worker.js'],
  ['nan (Bare + own queue)', 'nan.js'],
];

async function measure(modulePath) {
  const texample = require(modulePath);
  let sum = 0;
  texample.callback = (i) => (sum += i);
  const t0 = process.hrtime.bigint();
  const stats = await texample.start({ count: COUNT, rate: 0 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  return { itemsPerSecond: stats.sent / seconds, ...stats, rssMb };
}

function main() {
  console.log(`${COUNT} items, 1 producer, unpaced; median of 3 fresh processes`);
  console.log('build                      sent/s (M)  delivered  wakeups  max/wakeup  RSS MB');
  for (const [label, file] of BUILDS) {
    const runs = [0, 1, 2].map(() => {
      const args = [__filename, 'measure', path.join(__dirname, '..', file)];
      const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
      if (result.status !== 0) throw new Error(`${label}: ${result.stderr || result.signal}`);
      return JSON.parse(result.stdout);
    });
    runs.sort((a, b) => a.itemsPerSecond - b.itemsPerSecond);
    const r = runs[1];
    const cells = [
      (r.itemsPerSecond / 1e6).toFixed(2).padStart(10),
      String(r.delivered).padStart(10),
      String(r.wakeups).padStart(8),
      String(r.maxItemsPerWakeup).padStart(11),
      r.rssMb.toFixed(0).padStart(7),
    ];
    console.log(`${label.padEnd(26)}${cells.join('')}`);
  }
}

if (process.argv[2] === 'measure') {
  measure(process.argv[3]).then((result) => console.log(JSON.stringify(result)));
} else {
  main();
}
