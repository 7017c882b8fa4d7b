'use strict';
// Runs in a worker_thread that teardown-child.js terminates at a random moment. Loads a chapter
// and keeps it busy in one of several ways until it is terminated.
//   workerData = { modulePath, startOptions, mode }
//   'flat-out'        a stream with 2 unpaced producers, forever;
//   'sleeping'        a stream whose producers sleep between items (a terminate wakes them);
//   'start-stop'      streams started and stopped in a loop (terminate lands in any state);
//   'stop-in-callback' streams stopped from their own callback, in a loop;
//   'exit'            process.exit(7) from the callback: ends this worker only, with code 7.
const { parentPort, workerData } = require('node:worker_threads');

const texample = require(workerData.modulePath);
const options = (extra) => ({ ...workerData.startOptions, ...extra });
const running = () => parentPort.postMessage('running'); // once, after the first start()

const modes = {
  'flat-out'() {
    texample.callback = () => {};
    texample.start(options({ producers: 2, rate: 0 }));
    running();
  },
  sleeping() {
    texample.callback = () => {};
    texample.start(options({ producers: 2, intervalMs: 1 }));
    running();
  },
  async 'start-stop'() {
    texample.callback = () => {};
    for (let round = 0; ; round++) {
      const done = texample.start(options({ producers: 2, rate: 0 }));
      if (round === 0) running();
      await new Promise((resolve) => setImmediate(resolve));
      await texample.stop();
      await done;
    }
  },
  async 'stop-in-callback'() {
    for (let round = 0; ; round++) {
      let seen = 0;
      texample.callback = () => {
        if (++seen === 1 + (round % 50)) texample.stop();
      };
      const done = texample.start(options({ producers: 2, rate: 0 }));
      if (round === 0) running();
      await done;
    }
  },
  exit() {
    let seen = 0;
    texample.callback = () => {
      if (++seen === 100) process.exit(7);
    };
    texample.start(options({ producers: 2, rate: 0 }));
  },
};

modes[workerData.mode]();
