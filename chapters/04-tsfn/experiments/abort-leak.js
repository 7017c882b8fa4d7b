'use strict';
// What happens to the calls still queued when a thread-safe function is aborted. Node hands each
// one to call_js with a null env so that the addon can free it. Three builds, each in a fresh
// process, 20 aborts each; what malloc still has handed out afterwards, against before (glibc's
// mallinfo2, every arena; RSS would show the backlog's high-water mark instead):
//   index.js     the typed build: nothing to free per item (its slots are recycled as a whole);
//   untyped.js   the untyped build, whose own call_js frees each call's std::function;
//   stock        node-addon-api's untyped ThreadSafeFunction::New and NonBlockingCall(lambda)
//                (experiments/traps.cc), whose call_js returns on a null env without freeing.
// The two chapter builds are stopped after 20 000 items while one unpaced producer runs ahead;
// the stock function has 30 000 calls queued by the main thread when it is aborted.
//   node --expose-gc chapters/04-tsfn/experiments/abort-leak.js
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { loadTraps } = require('./load-traps');

const ROUNDS = 20;

// Drops items by stop() mid-stream; returns how many were dropped.
async function stopStreams(module) {
  const texample = require(path.join(__dirname, '..', module));
  let dropped = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let delivered = 0;
    let stopping;
    texample.callback = () => {
      if (++delivered === 20000) stopping = texample.stop();
    };
    dropped += (await texample.start({ rate: 0 })).dropped;
    await stopping;
    await new Promise((resolve) => setImmediate(resolve)); // the null-env calls follow the end
  }
  return dropped;
}

// Aborts the stock function with 30 000 calls queued, ROUNDS times.
async function abortStock() {
  const traps = loadTraps();
  for (let round = 0; round < ROUNDS; round++) {
    await new Promise((resolve) => traps.abortQueuedCalls(30000, resolve));
    await new Promise((resolve) => setImmediate(resolve)); // as above: they follow done()
  }
  return ROUNDS * 30000;
}

async function child(build) {
  const { mallocInUse } = loadTraps();
  global.gc();
  const before = mallocInUse();
  const dropped = build === 'stock' ? await abortStock() : await stopStreams(build);
  global.gc();
  const grown = mallocInUse() - before;
  console.log(
    `${build.padEnd(11)} dropped by ${ROUNDS} aborts: ${String(dropped).padStart(8)}` +
      `   malloc in use grew ${(grown / 1e6).toFixed(1).padStart(5)} MB` +
      `   (${(grown / dropped).toFixed(1)} bytes per dropped item)`,
  );
}

if (process.argv[2]) {
  child(process.argv[2]);
} else {
  loadTraps(); // builds it once, before the children
  for (const build of ['index.js', 'untyped.js', 'stock']) {
    process.stdout.write(
      execFileSync(process.execPath, ['--expose-gc', __filename, build], { encoding: 'utf8' }),
    );
  }
}
