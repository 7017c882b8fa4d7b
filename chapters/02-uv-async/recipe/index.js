'use strict';
// A background thread's items, delivered to a JS callback on this thread (chapter 2's recipe:
// a raw uv_async_t). Loads in the main thread and in any worker_thread, each with its own stream.
//   const stream = require('.');
//   stream.start(1000, (seq, text) => console.log(seq, text)); // items 0 … 999, in order
//   stream.stop();
// A running stream keeps the process alive, even after its last item, until stop().
const native = require('./build/Release/recipe.node');

// start(count, onItem): a producer thread emits items 0 … count-1; onItem(seq, text) runs on this
// thread for each, in order. One stream at a time; an exception thrown by onItem is reported as
// 'uncaughtException' and delivery goes on.
function start(count, onItem) {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be an integer from 0 to 2^53-1, got ${count}`);
  }
  if (typeof onItem !== 'function') throw new TypeError('onItem must be a function');
  native.start(count, onItem);
}

// stop(): joins the producer thread and drops what is still queued; once it returns, onItem is
// not called again. Safe to call at any time, from onItem too; start() may follow at once.
function stop() {
  native.stop();
}

module.exports = { start, stop };
