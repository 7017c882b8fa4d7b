'use strict';
// The doorbell against one call per item: 5 000 000 unpaced items, one producer, a callback that
// only sums, through the contract (index.js: the typed function, unbounded; doorbell.js). Each
// configuration runs in 5 fresh processes, interleaved; the table gives medians with min–max.
// Main-thread CPU per million items is read from /proc (Linux), so it does not count what the
// producer thread burns: on a shared machine it moves less than items/s. Run it under the shared
// lock, alone on the machine:
//   flock /tmp/wakeup-bench.lock node chapters/04-tsfn/experiments/doorbell.js
const fs = require('node:fs');
const path = require('node:path');
const { runInterleaved, median } = require('./fresh-processes');

const COUNT = 5_000_000;
const RUNS = 5;
const CONFIGS = [
  { name: 'typed, one call per item', module: 'index.js' },
  { name: 'doorbell', module: 'doorbell.js' },
];

// CPU time of this process's main thread, in ms (utime + stime, in clock ticks of 10 ms).
function mainThreadCpuMs() {
  const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1];
  const [utime, stime] = fields.split(' ').slice(11, 13).map(Number);
  return (utime + stime) * 10;
}

async function child(config) {
  const texample = require(path.join(__dirname, '..', config.module));
  let sum = 0;
  texample.callback = (i) => {
    sum += i;
  };
  const cpuBefore = mainThreadCpuMs();
  const start = process.hrtime.bigint();
  const stats = await texample.start({ count: COUNT, rate: 0 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const mainCpuMs = mainThreadCpuMs() - cpuBefore;
  if (stats.delivered !== COUNT || sum !== (COUNT * (COUNT - 1)) / 2) throw new Error('lost items');
  const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 1e6;
  console.log(JSON.stringify({ seconds, mainCpuMs, peakRssMb, stats }));
}

function spread(values, digits) {
  const f = (v) => v.toFixed(digits);
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}

function main() {
  const results = runInterleaved(__filename, CONFIGS, RUNS);
  console.log(`${COUNT} items, 1 producer, unpaced; medians (min–max) of ${RUNS} fresh processes`);
  const columns = ['M items/s', 'main-thread CPU ms per M', 'peak RSS MB', 'wake-ups'];
  const widths = [20, 26, 12, 9];
  console.log(['configuration'.padEnd(26), ...columns.map((c, i) => c.padStart(widths[i]))].join(''));
  const rates = results.map((r) => r.map((x) => COUNT / x.seconds / 1e6));
  CONFIGS.forEach((config, c) => {
    const r = results[c];
    const cells = [
      spread(rates[c], 2),
      spread(r.map((x) => (x.mainCpuMs / COUNT) * 1e6), 0),
      median(r.map((x) => x.peakRssMb)).toFixed(0),
      String(median(r.map((x) => x.stats.wakeups))),
    ];
    console.log([config.name.padEnd(26), ...cells.map((cell, i) => cell.padStart(widths[i]))].join(''));
  });
  const ratio = median(rates[1]) / median(rates[0]);
  const cpuRatio =
    median(results[0].map((x) => x.mainCpuMs)) / median(results[1].map((x) => x.mainCpuMs));
  console.log(`doorbell / typed: ${ratio.toFixed(2)}× items/s, ${cpuRatio.toFixed(2)}× less main-thread CPU`);
}

if (process.argv[2]) child(JSON.parse(process.argv[2]));
else main();
