'use strict';
// The classic trap (node issue #32615): a blocking call from the main thread on a full queue.
// Only the main thread can make room, and it is the one waiting. Node 20 does not detect it (the
// napi_would_deadlock status that once did was reverted, node PR #32880). The child is killed
// after 2 s.
const { spawnSync } = require('node:child_process');

if (process.argv[2] === 'child') {
  const traps = require('./load-traps').loadTraps();
  console.log('calling twice with napi_tsfn_blocking, queue size 1, from the main thread');
  traps.blockingCallOnMainThread();
  console.log('returned'); // never printed
} else {
  const result = spawnSync(process.execPath, [__filename, 'child'], {
    encoding: 'utf8',
    timeout: 2000,
  });
  process.stdout.write(result.stdout);
  console.log(result.signal ? `still blocked after 2000 ms: killed (${result.signal})` : 'exited');
}
