'use strict';
// Where a ThreadSafeFunction's wake-ups are. Node calls call_js once per item, but runs at most
// 999 of them in one go (kMaxIterationCount in node's src/node_api.cc), then sends itself a new
// wake-up so that the rest of the loop gets a turn. The chapter counts a wake-up per event-loop
// iteration that delivered something (common/stats.h), so the hidden batches show up.
//   node chapters/04-tsfn/experiments/wakeups.js      (after `make chapter4`)
const texample = require('..');

texample.callback = () => {};
texample.start({ count: 100000, rate: 0 }).then((stats) => {
  console.log('100000 unpaced items:', JSON.stringify(stats));
});
