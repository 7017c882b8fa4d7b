'use strict';
// A background thread's items, delivered to a JS callback on this thread (chapter 5's recipe:
// a lock-free ring and a uv_async_t sent only when the main thread may be asleep). Loads in the
// main thread and in any worker_thread, each with its own stream.
// README.md has the API, the build and how to rename the module.
//   const stream = require('.');
//   const delivered = await stream.start(1000, (seq, text) => console.log(seq, text));
const fs = require('node:fs');
const path = require('node:path');
const { setImmediate } = require('node:timers');

// The module's name is binding.gyp's target_name, and only there: node-gyp names the .node file,
// the C++ (NODE_GYP_MODULE_NAME) and this line after it.
const gyp = JSON.parse(fs.readFileSync(path.join(__dirname, 'binding.gyp'), 'utf8'));
const name = gyp.targets[0].target_name;
const native = require(path.join(__dirname, 'build', 'Release', `${name}.node`));

// The next loop turn, for a wake-up that left items in the ring: setImmediate runs once per turn,
// after the turn's I/O callbacks, on every runtime. From node:timers, not the global: a test's
// fake timers replace the global one.
const comeBackSoon = () => setImmediate(native.comeBack);

const MAX_INTERVAL_MS = 2 ** 31 - 1; // as setTimeout's: about 24.8 days

let current = null; // the running stream: { delivered, resolve, promise }
let last = Promise.resolve(0); // what stop() returns when no stream runs

// start(count, onItem, { intervalMs }) → Promise<number>: a producer thread emits items
// 0 … count-1, waiting intervalMs between two; onItem(seq, text) runs on this thread for each, in
// order. The promise resolves with the number delivered once the stream has ended: after its last
// item, or by stop(). An exception thrown by onItem is reported as 'uncaughtException' and
// delivery goes on.
function start(count, onItem, options = {}) {
  if (typeof count !== 'number') throw new TypeError(`count must be a number, got ${typeof count}`);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be an integer from 0 to 2^53-1, got ${count}`);
  }
  if (typeof onItem !== 'function') {
    throw new TypeError(`onItem must be a function, got ${typeof onItem}`);
  }
  const intervalMs = checkOptions(options);
  if (current) throw new Error('a stream is already running');
  const stream = { delivered: 0 };
  stream.promise = new Promise((resolve) => (stream.resolve = resolve));
  native.start(count, intervalMs, (seq, text) => {
    // Node calls nothing after stop(); a runtime that still delivers what was queued before it
    // (Bun and Deno do, for a ThreadSafeFunction) is held to the same promise here.
    if (current !== stream) return;
    stream.delivered++;
    try {
      onItem(seq, text);
    } catch (error) {
      // Reported as 'uncaughtException' by the addon, which reads a null as "JS cannot run here
      // any more" (how Deno says it): a thrown null is reported as an Error.
      throw error === null ? new Error('onItem threw null') : error;
    } finally {
      // The last item: the stream ends by itself (and stops holding the process).
      if (stream.delivered === count && current === stream) stop();
    }
  }, comeBackSoon);
  current = stream;
  if (count === 0) stop();
  return stream.promise;
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${options}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'intervalMs') throw new TypeError(`unknown option ${key} (the one: intervalMs)`);
  }
  const { intervalMs = 0 } = options;
  if (typeof intervalMs !== 'number') {
    throw new TypeError(`intervalMs must be a number, got ${typeof intervalMs}`);
  }
  if (!(intervalMs >= 0 && intervalMs <= MAX_INTERVAL_MS)) {
    throw new RangeError(`intervalMs must be from 0 to ${MAX_INTERVAL_MS}, got ${intervalMs}`);
  }
  return intervalMs;
}

// stop() → Promise<number>: wakes the producer if it waits (intervalMs, a full queue), joins
// it and drops what is still queued; once it returns, onItem is not called again. Returns the
// promise start() returned. Safe at any time, twice, and from onItem; start() may follow at once.
function stop() {
  if (!current) return last;
  const stream = current;
  current = null;
  native.stop();
  stream.resolve(stream.delivered);
  last = stream.promise;
  return last;
}

module.exports = { start, stop };
