'use strict';
// process.exit() while a stream runs, with and without the 'exit' listener that index.js adds.
// process.exit() joins libuv's threadpool (uv_library_shutdown) without running cleanup hooks,
// and the stream's Execute() holds a pool thread until its producers stop.
//   node experiments/exit-hang.js
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { createTexample } = require('../../../common/texample');

const LIMIT_MS = 5000;

function child(withListener) {
  const texample = withListener
    ? require('..')
    : createTexample(require('../build/Release/texample.node'));
  let delivered = 0;
  texample.callback = () => {
    if (++delivered === 1000) process.exit(0);
  };
  texample.start({ rate: 0, producers: 2 });
}

function main() {
  for (const mode of ['with', 'without']) {
    const t0 = Date.now();
    const result = spawnSync(process.execPath, [__filename, mode], { timeout: LIMIT_MS });
    const ms = Date.now() - t0;
    const outcome = result.signal
      ? `still running after ${LIMIT_MS} ms (killed)`
      : `exited with code ${result.status}`;
    console.log(`${mode.padEnd(7)} the 'exit' listener: ${outcome}`);
    if (!result.signal && ms > LIMIT_MS) throw new Error('unexpected');
  }
}

if (process.argv[2]) child(process.argv[2] === 'with');
else main();
