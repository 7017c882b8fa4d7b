'use strict';
// What happens to the items still queued when stop() aborts the function. Node hands each one to
// call_js with a null env so that the addon can free it. The typed build has nothing to free (its
// slots are recycled as a whole); node-addon-api's own call_js for the untyped
// Napi::ThreadSafeFunction returns early on a null env without deleting the std::function it
// allocated for the call, so each dropped item leaks it. 20 streams, each stopped after 20 000
// items while one unpaced producer runs ahead; RSS measured after a full GC, per fresh process.
//   node --expose-gc chapters/04-tsfn/experiments/abort-leak.js
const path = require('node:path');
const { execFileSync } = require('node:child_process');

async function child(module) {
  const texample = require(path.join(__dirname, '..', module));
  global.gc();
  const before = process.memoryUsage.rss();
  let dropped = 0;
  for (let round = 0; round < 20; round++) {
    let delivered = 0;
    let stopping;
    texample.callback = () => {
      if (++delivered === 20000) stopping = texample.stop();
    };
    dropped += (await texample.start({ rate: 0 })).dropped;
    await stopping;
  }
  global.gc();
  const grownMb = (process.memoryUsage.rss() - before) / 1e6;
  console.log(
    `${module.padEnd(11)} dropped by 20 stops: ${String(dropped).padStart(8)}` +
      `   RSS grew ${grownMb.toFixed(0).padStart(3)} MB` +
      `   (${((grownMb * 1e6) / dropped).toFixed(0)} bytes per dropped item)`,
  );
}

if (process.argv[2]) {
  child(process.argv[2]);
} else {
  for (const module of ['index.js', 'untyped.js']) {
    process.stdout.write(
      execFileSync(process.execPath, ['--expose-gc', __filename, module], { encoding: 'utf8' }),
    );
  }
}
