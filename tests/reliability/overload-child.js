'use strict';
// One overload run, in a process of its own: a producer paced far faster than a slow callback
// can take, for a fixed time; then the callback turns fast, calls stop() and the backlog (if the
// chapter delivers on stop) drains at full speed.
//   node tests/reliability/overload-child.js '<{ target, seconds, rate, callbackUs } as JSON>'
// Prints JSON lines: { event: 'started', rssKib, optionNames } right before start(), { event: 'overload-end',
// stats } when the fixed time is up, and the final report { stats, violations, problems }.
// overload.js samples this process's RSS from outside meanwhile.
const fs = require('node:fs');
const { DeliveryChecker } = require('./lib/delivery');
const support = require('./lib/support');

function line(value) {
  fs.writeSync(1, JSON.stringify(value) + '\n'); // synchronous: printed even mid-batch
}

function spinUntil(ns) {
  while (process.hrtime.bigint() < ns);
}

async function main() {
  const { target, seconds, rate, callbackUs } = JSON.parse(process.argv[2]);
  const texample = require(target.modulePath);
  const checker = new DeliveryChecker(target, { producers: 1 });
  const costNs = BigInt(callbackUs * 1000);
  let overloading = true;
  let deadline = 0n;
  const endOverload = () => {
    if (!overloading) return;
    overloading = false;
    line({ event: 'overload-end', stats: texample.stats() });
    texample.stop();
  };
  texample.callback = (i) => {
    checker.see(i);
    if (!overloading) return;
    const now = process.hrtime.bigint();
    if (now >= deadline) endOverload();
    else spinUntil(now + costNs);
  };
  // The callback ends the overload when it sees the deadline pass; this timer does when no item
  // arrives (a chapter whose producer is blocked), whichever comes first.
  const timer = setTimeout(endOverload, seconds * 1000);
  const optionNames = support.optionNames(texample);
  line({ event: 'started', rssKib: Math.round(process.memoryUsage.rss() / 1024), optionNames });
  deadline = process.hrtime.bigint() + BigInt(seconds * 1e9);
  const stats = await texample.start({ ...target.startOptions, producers: 1, rate });
  clearTimeout(timer);
  const { violations, problems } = checker.finish(stats, { complete: false });
  line({ stats, violations, problems, maxRssKib: process.resourceUsage().maxRSS });
}

main();
