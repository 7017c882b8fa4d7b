'use strict';
// A producer far faster than its callback: the callback spins for 5 µs an item (at most 200 000
// items/s) while one unpaced producer offers items as fast as it can. The ring fills, the producer
// sleeps until half of it is free, and the process's memory is the ring's, not the backlog's.
// CPU time over wall time shows that the waiting producer does not burn a core: about 1.0 is the
// main thread alone.
//   node experiments/backpressure.js
const texample = require('..');

const ITEMS = 400000;
const SPIN_NS = 5000n;

function spin() {
  const end = process.hrtime.bigint() + SPIN_NS;
  while (process.hrtime.bigint() < end);
}

async function run(ringSize) {
  let next = 0;
  let outOfOrder = 0;
  texample.callback = (i) => {
    if (i !== next++) outOfOrder++;
    spin();
  };
  const rssBefore = process.memoryUsage.rss();
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const stats = await texample.start({ count: ITEMS, rate: 0, ringSize });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const rssGrowthMiB = (process.memoryUsage.rss() - rssBefore) / 2 ** 20;
  return {
    ringSize,
    sent: stats.sent,
    delivered: stats.delivered,
    dropped: stats.dropped,
    outOfOrder,
    peakQueueDepth: stats.peakQueueDepth,
    wakeups: stats.wakeups,
    'cpu / wall': ((cpu.user + cpu.system) / 1000 / wallMs).toFixed(2),
    'rss growth MiB': rssGrowthMiB.toFixed(1),
  };
}

async function main() {
  const rows = [];
  for (const ringSize of [1024, 65536]) rows.push(await run(ringSize));
  console.table(rows);
}

main();
