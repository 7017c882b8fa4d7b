'use strict';
// What the untyped ThreadSafeFunction's per-call std::function costs: 2 000 000 unpaced items,
// one producer, a callback that only sums, each configuration in fresh processes (5 runs,
// interleaved, medians). Peak RSS is the process's maxRSS, read after the stream has settled.
// Run it under the shared lock, alone on the machine:
//   flock /tmp/wakeup-bench.lock node chapters/04-tsfn/experiments/typed-vs-untyped.js
const path = require('node:path');
const { runInterleaved, median } = require('./fresh-processes');

const COUNT = 2_000_000;
const RUNS = 5;
const CONFIGS = [
  { name: 'typed, unbounded', module: 'index.js', options: {} },
  { name: 'untyped, unbounded', module: 'untyped.js', options: {} },
  { name: 'typed, queueSize 1000', module: 'index.js', options: { queueSize: 1000 } },
  { name: 'untyped, queueSize 1000', module: 'untyped.js', options: { queueSize: 1000 } },
];

async function child(config) {
  const texample = require(path.join(__dirname, '..', config.module));
  let sum = 0;
  texample.callback = (i) => {
    sum += i;
  };
  const baselineRss = process.memoryUsage.rss();
  const start = process.hrtime.bigint();
  const stats = await texample.start({ ...config.options, count: COUNT, rate: 0 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (stats.delivered !== COUNT || sum !== (COUNT * (COUNT - 1)) / 2) throw new Error('lost items');
  const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 1e6;
  console.log(JSON.stringify({ seconds, baselineRssMb: baselineRss / 1e6, peakRssMb, stats }));
}

function main() {
  const results = runInterleaved(__filename, CONFIGS, RUNS);
  console.log(`${COUNT} items, 1 producer, unpaced; medians of ${RUNS} fresh processes`);
  const columns = ['M items/s', 'peak RSS MB', '(baseline)', 'wake-ups', 'peak backlog'];
  console.log(['configuration'.padEnd(24), ...columns].join('  '));
  CONFIGS.forEach((config, c) => {
    const r = results[c];
    const cells = [
      median(r.map((x) => COUNT / x.seconds / 1e6)).toFixed(2),
      median(r.map((x) => x.peakRssMb)).toFixed(0),
      `(${median(r.map((x) => x.baselineRssMb)).toFixed(0)})`,
      String(median(r.map((x) => x.stats.wakeups))),
      String(median(r.map((x) => x.stats.peakQueueDepth))),
    ];
    const padded = cells.map((cell, i) => cell.padStart(columns[i].length));
    console.log([config.name.padEnd(24), ...padded].join('  '));
  });
}

if (process.argv[2]) child(JSON.parse(process.argv[2]));
else main();
