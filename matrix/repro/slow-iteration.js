'use strict';
// Chapter 4's doorbell variant under an arm64 Node through qemu-user: with two unpaced producers
// a timer set at the first item fires only once the loop iteration that delivers it ends, and
// the doorbell bounds an iteration by items (Node's dispatcher: up to 999 calls, each of up to
// 1000 items), not by time. Through qemu, with the cores shared, such an iteration took 54 s
// (999 000 items), past the conformance suite's 60 s for a child process; the process still
// exits 0. Natively the whole case takes about 1.5 s. Prints when the timer fired, after how many
// items, and when the process exits.
//   node matrix/repro/slow-iteration.js                                  (x86-64, this tree's build)
//   matrix/node_modules/node22-arm64/bin/node matrix/repro/slow-iteration.js \
//     matrix/build/node22-arm64/chapters/04-tsfn/doorbell.js               (arm64, make matrix's build)
const path = require('node:path');

const modulePath = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', 'chapters', '04-tsfn', 'doorbell.js'));
const texample = require(modulePath);
const started = Date.now();
let items = 0;
texample.callback = () => {
  if (++items !== 1) return;
  setTimeout(() => {
    console.log(`timer fired after ${Date.now() - started} ms, ${items} items delivered`);
    process.on('exit', () => console.log(`exit after ${Date.now() - started} ms`));
    process.exit(0);
  }, 20);
};
texample.start({ producers: 2, rate: 0 });
