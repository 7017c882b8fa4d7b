'use strict';
// One item per wake-up strands items. A burst of 100 000 unpaced items with drain 'one' (the
// 2011 original's callback, which popped one item per call): the sends coalesce, so there are
// far fewer wake-ups than items, and once the producer has finished nothing sends again. The
// rest stays queued however long one waits, until stop() drops it. The same burst with
// drain 'all' follows, for comparison.
//   node experiments/strand.js [count]
const texample = require('..');

const count = Number(process.argv[2] ?? 100_000);
const WAIT_MS = 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function queued(stats) {
  return stats.sent - stats.delivered - stats.dropped;
}

async function producersFinished() {
  while (texample.stats().sent < count) await sleep(1);
}

function line(label, stats) {
  const { sent, delivered, dropped, wakeups } = stats;
  console.log(
    `${label.padEnd(34)} sent ${sent}, delivered ${delivered}, queued ${queued(stats)}, ` +
      `dropped ${dropped}, wakeups ${wakeups}`,
  );
}

async function burst(drain) {
  let ended = false;
  texample.callback = () => {};
  const done = texample.start({ count, rate: 0, drain }).then((stats) => {
    ended = true;
    return stats;
  });
  await producersFinished();
  console.log(`drain '${drain}':`);
  await sleep(WAIT_MS);
  line(`  ${WAIT_MS} ms after the burst:`, texample.stats());
  await sleep(WAIT_MS);
  line(`  ${2 * WAIT_MS} ms after the burst:`, texample.stats());
  console.log(`  ended by itself:                 ${ended}`);
  const stats = await texample.stop();
  line('  after stop():', stats);
  console.log(`  sent === delivered + dropped:    ${stats.sent === stats.delivered + stats.dropped}`);
  await done;
}

(async () => {
  await burst('one');
  await burst('all');
})();
