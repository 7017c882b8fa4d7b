'use strict';
// The recipe (../recipe, built by `make test-recipes` or `npm install` there) against glibc's
// threads, with nothing injected: how fast an unpaced stream runs, and how many callbacks glibc
// runs after stop() has returned, each refused and counted by the recipe.
//   node experiments/recipe-late.js [streams] [items per stream]
const stream = require('../recipe');

const STREAMS = Number(process.argv[2] ?? 200);
const ITEMS = Number(process.argv[3] ?? 50);
const RATE_ITEMS = 20_000;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const started = process.hrtime.bigint();
  await stream.start(RATE_ITEMS, () => {});
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`unpaced: ${RATE_ITEMS} items in ${ms.toFixed(0)} ms, ` +
    `${Math.round(RATE_ITEMS / (ms / 1000))} items/s (one glibc thread per item)`);
  await pause(100);
  const before = stream.callbacks();
  let delivered = 0;
  for (let i = 0; i < STREAMS; i++) {
    let seen = 0;
    // stop() from inside the callback, as soon as the stream has delivered ITEMS.
    delivered += await stream.start(Number.MAX_SAFE_INTEGER, () => ++seen === ITEMS && stream.stop());
  }
  await pause(100); // glibc's last threads finish meanwhile
  const after = stream.callbacks();
  const calls = after.calls - before.calls;
  const late = after.late - before.late;
  console.log(`${STREAMS} streams stopped after ${ITEMS} items each: ${calls} callbacks`);
  console.log(`  accepted as items: ${calls - late} (delivered ${delivered}; stop() dropped the rest, queued)`);
  console.log(`  refused, late: ${late} (glibc ran them once their id was out of the registry)`);
}

main();
