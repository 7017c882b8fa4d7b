'use strict';
// The smoke test of an installed recipe (tests/shipping.js), run from the application's folder
// under each runtime: loads the package from its node_modules (its index.js loads the binary with
// node-gyp-build), streams 1000 items and checks them, stops. Prints one JSON line.
//   node shipping-smoke.js PACKAGE-NAME
const path = require('node:path');

const COUNT = 1000;

async function main() {
  const name = process.argv[2];
  const dir = path.join(process.cwd(), 'node_modules', name);
  const gypBuild = require(path.join(process.cwd(), 'node_modules', 'node-gyp-build'));
  const loaded = path.relative(dir, gypBuild.resolve(dir)); // the file node-gyp-build picks
  const stream = require(dir);
  const items = [];
  let last;
  const lastItem = new Promise((resolve) => (last = resolve));
  // Works with the recipes' API (start() → promise of the count delivered) and tolerates an
  // older start() that returns nothing: the stream is stopped after its last item either way.
  const ended = stream.start(COUNT, (seq, text) => {
    items.push([seq, text]);
    if (items.length === COUNT) last();
  });
  await lastItem;
  await stream.stop();
  const delivered = typeof ended?.then === 'function' ? await ended : items.length;
  const inOrder = items.every(([seq, text], k) => seq === k && typeof text === 'string');
  const ok = items.length === COUNT && inOrder && delivered === COUNT;
  console.log(JSON.stringify({ loaded, delivered, inOrder, ok }));
  if (!ok) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
