'use strict';
// A background thread's items, delivered to a JS callback on this thread (chapter 3's recipe:
// Napi::AsyncProgressQueueWorker). Loads in the main thread and in any worker_thread, each with
// its own stream.
//   const stream = require('.');
//   stream.start(1000, (seq, text) => console.log(seq, text)); // items 0 … 999, in order
//   stream.stop();
// A running stream keeps the process alive. Unlike the other chapters' recipes, it also ends by
// itself after its last item (the worker's job is done), and stop() is then a no-op.
const { isMainThread } = require('node:worker_threads');
const native = require('./build/Release/recipe.node');

// process.exit() on the main thread joins libuv's threadpool, where a running stream holds a
// thread, without turning the event loop again: the stream must end without waiting for this
// thread, or the process would never exit. A worker_thread's process.exit() ends only the worker,
// whose loop goes on turning while Node tears it down: nothing to do there.
if (isMainThread) process.on('exit', () => native.exiting());

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

// stop(): the producer loop ends at its next item and what is still queued is dropped; once this
// returns, onItem is not called again. Safe to call at any time, from onItem too; start() may
// follow at once (the stopped stream's threadpool thread is released shortly after).
function stop() {
  native.stop();
}

module.exports = { start, stop };
