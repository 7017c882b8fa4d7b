'use strict';
// Items that arrive on threads the addon does not own, delivered to a JS callback on this thread
// (chapter 6's recipe: a POSIX timer's SIGEV_THREAD threads, which glibc creates and never lets
// anyone join, and a thread-safe function used as a doorbell). Loads in the main thread and in
// any worker_thread, each with its own stream. README.md has the API, the build and how to
// rename the module.
//   const stream = require('.');
//   const delivered = await stream.start(1000, (seq, text) => console.log(seq, text));
const fs = require('node:fs');
const path = require('node:path');

// The module's name is binding.gyp's target_name, and only there: node-gyp names the .node file,
// the C++ (NODE_GYP_MODULE_NAME) and this line after it.
const gyp = JSON.parse(fs.readFileSync(path.join(__dirname, 'binding.gyp'), 'utf8'));
const name = gyp.targets[0].target_name;
const native = require(path.join(__dirname, 'build', 'Release', `${name}.node`));

const MAX_INTERVAL_MS = 2 ** 31 - 1; // as setTimeout's: about 24.8 days
const NEVER = 2 ** 53; // holdAfter's default: a count of callbacks never reached

let current = null; // the running stream: { delivered, resolve, promise }
let last = Promise.resolve(0); // what stop() returns when no stream runs

// start(count, onItem, { intervalMs }) → Promise<number>: a timer that glibc runs on its own
// threads emits items 0 … count-1, one per expiry, every intervalMs (0: as fast as glibc starts
// its threads); onItem(seq, text) runs on this thread for each, in order. The promise resolves
// with the number delivered once the stream has ended: after its last item, or by stop(). An
// exception thrown by onItem is reported as 'uncaughtException' and delivery goes on.
function start(count, onItem, options = {}) {
  if (typeof count !== 'number') throw new TypeError(`count must be a number, got ${typeof count}`);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be an integer from 0 to 2^53-1, got ${count}`);
  }
  if (typeof onItem !== 'function') {
    throw new TypeError(`onItem must be a function, got ${typeof onItem}`);
  }
  const { intervalMs, holdAfter } = checkOptions(options);
  if (current) throw new Error('a stream is already running');
  const stream = { delivered: 0 };
  stream.promise = new Promise((resolve) => (stream.resolve = resolve));
  stream.id = native.start(count, intervalMs, (seq, text) => {
    if (current !== stream) return; // queued before stop(): Deno calls it after the Abort
    stream.delivered++;
    try {
      onItem(seq, text);
    } finally {
      // The last item: the stream ends by itself (and stops holding the process).
      if (stream.delivered === count && current === stream) stop();
    }
  }, holdAfter);
  current = stream;
  if (count === 0) stop();
  return stream.promise;
}

const OPTIONS = ['intervalMs', 'holdAfter'];

function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${options}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) {
      throw new TypeError(`unknown option ${key} (known: ${OPTIONS.join(', ')})`);
    }
  }
  const { intervalMs = 0, holdAfter = NEVER } = options;
  if (typeof intervalMs !== 'number') {
    throw new TypeError(`intervalMs must be a number, got ${typeof intervalMs}`);
  }
  if (!(intervalMs >= 0 && intervalMs <= MAX_INTERVAL_MS)) {
    throw new RangeError(`intervalMs must be from 0 to ${MAX_INTERVAL_MS}, got ${intervalMs}`);
  }
  // Test only (README.md, "Testing late callbacks"): every callback of this process after the
  // holdAfter-th waits, before it looks its stream up, until stop() — a library thread delayed
  // at the worst moment, so that it is still in flight when stop() returns.
  if (holdAfter !== NEVER && !(Number.isSafeInteger(holdAfter) && holdAfter >= 0)) {
    throw new RangeError(`holdAfter must be an integer from 0 to 2^53-1, got ${holdAfter}`);
  }
  return { intervalMs, holdAfter };
}

// stop() → Promise<number>: ends the stream; once it returns, onItem is not called again, and a
// callback glibc still runs for it (one in flight, or one it starts later) is refused and
// counted. Never waits for glibc's threads. Returns the promise start() returned. Safe at any
// time, twice, and from onItem; start() may follow at once.
function stop() {
  if (!current) return last;
  const stream = current;
  current = null;
  native.stop(stream.id);
  stream.resolve(stream.delivered);
  last = stream.promise;
  return last;
}

// callbacks() → { calls, late }: the calls glibc's threads made into the addon in this process
// (every stream, every environment), and how many of them were refused because their stream had
// ended (stop(), its last item, a teardown). Every call is either an item or late.
function callbacks() {
  return native.callbacks();
}

module.exports = { start, stop, callbacks };
