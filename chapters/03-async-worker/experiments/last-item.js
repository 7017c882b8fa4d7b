'use strict';
// Is the final item of a completed stream always delivered by the progress-worker variant
// (Napi::AsyncProgressWorker, latest only)? Runs many completed, unpaced streams with one and
// with three producers and counts the streams whose last delivered item is count - 1.
//   node experiments/last-item.js [streams per row, default 500]
const texample = require('../progress-worker');

const COUNT = 10000;
const STREAMS = Number(process.argv[2] ?? 500);

async function run(producers) {
  let lastIsFinal = 0;
  let delivered = 0;
  let dropped = 0;
  for (let s = 0; s < STREAMS; s++) {
    let last = -1;
    texample.callback = (i) => (last = i);
    const stats = await texample.start({ count: COUNT, rate: 0, producers });
    if (stats.sent !== stats.delivered + stats.dropped) {
      throw new Error('sent !== delivered + dropped');
    }
    if (last === COUNT - 1) lastIsFinal++;
    delivered += stats.delivered;
    dropped += stats.dropped;
  }
  return { lastIsFinal, delivered, dropped };
}

async function main() {
  console.log(`${STREAMS} completed streams of ${COUNT} unpaced items per row`);
  console.log('producers  last delivered = count-1  delivered/stream  skipped/stream');
  for (const producers of [1, 3]) {
    const { lastIsFinal, delivered, dropped } = await run(producers);
    const share = `${lastIsFinal}/${STREAMS}`.padStart(24);
    const perStream = (n) => (n / STREAMS).toFixed(0).padStart(16);
    const cells = `${share}  ${perStream(delivered)}${perStream(dropped)}`;
    console.log(`${String(producers).padStart(9)}  ${cells}`);
  }
}

main();
