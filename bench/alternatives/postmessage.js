'use strict';
// Baseline: a worker_threads producer that posts its items to the main thread with postMessage,
// one message per item, or (batch) one message per up to 1000 items.
const path = require('node:path');
const { createJsTexample } = require('./js-stream');

const WORKER = path.join(__dirname, 'postmessage-worker.js');

function createPostMessageTexample({ batch }) {
  return createJsTexample(WORKER, (options, deliver) => {
    const stopCell = new Int32Array(new SharedArrayBuffer(4));
    const one = new Float64Array(1);
    const oneStamp = new Float64Array(1);
    const onMessage = (message) => {
      if (typeof message === 'number') {
        one[0] = message;
        deliver(one, oneStamp, 1);
      } else if (Array.isArray(message)) {
        one[0] = message[0];
        oneStamp[0] = message[1];
        deliver(one, oneStamp, 1);
      } else {
        deliver(message.values, message.stamps, message.length);
      }
    };
    return {
      workerData: () => ({ stopCell, batch }),
      // Messages on one port arrive in order, so 'done' comes after the worker's last item.
      run: (workers) =>
        Promise.all(
          workers.map(
            (worker) =>
              new Promise((resolve) => {
                worker.on('message', (message) => {
                  if (message?.done) resolve(message.emitted);
                  else onMessage(message);
                });
              }),
          ),
        ),
      stop() {
        Atomics.store(stopCell, 0, 1);
        Atomics.notify(stopCell, 0);
      },
    };
  });
}

module.exports = { createPostMessageTexample };
