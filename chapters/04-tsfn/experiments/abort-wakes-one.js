'use strict';
// How many producers waiting in a blocking call does an Abort release? A queue of one, full;
// P threads call with napi_tsfn_blocking and wait for room; the main thread aborts the function,
// as stop() does, and counts the threads that return within 500 ms (experiments/traps.cc).
// Node 20 signals its condition variable once (uv_cond_signal), so one returns, whatever P is:
// the others would keep a join waiting for ever. Each P runs in a child process of its own,
// which exits before its loop turns, leaving the waiting threads behind.
const { spawnSync } = require('node:child_process');

if (process.argv[2]) {
  const traps = require('./load-traps').loadTraps();
  const [parked, returned] = traps.abortWakesOne(Number(process.argv[2]));
  console.log(`${parked} producers waiting in BlockingCall, Abort, ${returned} returned`);
  process.exit(0);
}

for (const producers of [1, 2, 4, 8]) {
  const result = spawnSync(process.execPath, [__filename, String(producers)], { encoding: 'utf8' });
  process.stdout.write(result.stdout + result.stderr);
}
