'use strict';
// Many sends, few callbacks. Streams 1 000 000 unpaced items: every item is one uv_async_send,
// yet the main thread wakes up far fewer times, because sends that land while a wake-up is
// already pending coalesce into it. Prints the counters from stats(). A paced stream (a rate in
// items per second) shows the other end: items far apart get a wake-up each.
//   node experiments/coalescing.js [count] [producers] [rate; 0 = unpaced]
const texample = require('..');

const count = Number(process.argv[2] ?? 1_000_000);
const producers = Number(process.argv[3] ?? 1);
const rate = Number(process.argv[4] ?? 0);

let sum = 0;
texample.callback = (i) => {
  sum += i; // as cheap as a callback gets: the wake-ups are what is being counted
};

const started = process.hrtime.bigint();
texample.start({ count, rate, producers }).then((stats) => {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const perWakeup = stats.delivered / stats.wakeups;
  console.log(`producers:               ${producers}`);
  console.log(`rate:                    ${rate === 0 ? 'unpaced' : `${rate} items/s`}`);
  console.log(`sent (uv_async_send):    ${stats.sent}`);
  console.log(`delivered:               ${stats.delivered}`);
  console.log(`wakeups:                 ${stats.wakeups}`);
  console.log(`items per wake-up, mean: ${perWakeup.toFixed(0)}`);
  console.log(`items per wake-up, max:  ${stats.maxItemsPerWakeup}`);
  console.log(`peak queue depth:        ${stats.peakQueueDepth}`);
  console.log(`time:                    ${ms.toFixed(0)} ms`);
  if (sum !== (count * (count - 1)) / 2) throw new Error('an item went missing');
});
