'use strict';
// A stream of items, consumed as JS code expects: `for await (const item of iterate(source))`,
// or an object-mode stream.Readable (`toReadable(source)`) to pipe or pipeline() into a Writable.
// Both keep at most `highWaterMark` items queued while the consumer falls behind (docs/consume.md).
//
// A source is anything with this shape; fromTexample() and fromRecipe() below make one:
//   start(onItem) → Promise   starts the producer; onItem(item) is called on the main thread, in
//                             order, once per item. The promise resolves when the stream has ended
//                             by itself (a finite stream, after its last onItem) or by stop(), and
//                             rejects when the stream failed. start() may also throw.
//   stop() → Promise          ends the stream; resolves once the producer is stopped.
//   pause(), resume()         optional: after pause() returns, the producer waits and onItem is
//                             not called until resume(). Without them a full queue refuses items
//                             and counts them as dropped: a producer cannot be made to wait.
//
// Counters (stats() on the iterable and on the Readable):
//   received   onItem calls
//   delivered  items handed to the consumer (yielded by next(), or read from the Readable)
//   dropped    items refused because highWaterMark items were queued
//   discarded  items queued when the consumer left (break, destroy(), an error), or arriving after
//   queued     items waiting now; maxQueued the most that ever waited (≤ highWaterMark)
// At every moment received === delivered + dropped + discarded + queued.
const { Readable } = require('node:stream');

const DEFAULT_HIGH_WATER_MARK = 1024;

function checkConsumerOptions(options) {
  if (options === undefined) return { highWaterMark: DEFAULT_HIGH_WATER_MARK };
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const name of Object.keys(options)) {
    if (name !== 'highWaterMark') throw new TypeError(`${name} is not an option (only highWaterMark is)`);
  }
  const { highWaterMark = DEFAULT_HIGH_WATER_MARK } = options;
  if (typeof highWaterMark !== 'number') {
    throw new TypeError(`highWaterMark must be a number, got ${typeof highWaterMark}`);
  }
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 1) {
    throw new RangeError(`highWaterMark must be an integer from 1 to 2^53-1, got ${highWaterMark}`);
  }
  return { highWaterMark };
}

function checkSource(source) {
  if (source === null || typeof source !== 'object' || typeof source.start !== 'function' ||
      typeof source.stop !== 'function') {
    throw new TypeError('source must be an object with start(onItem) and stop() (see fromTexample(), fromRecipe())');
  }
  if ((typeof source.pause === 'function') !== (typeof source.resume === 'function')) {
    throw new TypeError('source must have both pause() and resume(), or neither');
  }
}

// A first-in first-out queue that does not move its items on every take (Array#shift may).
class Fifo {
  constructor() {
    this.items = [];
    this.head = 0;
  }
  get length() {
    return this.items.length - this.head;
  }
  push(item) {
    this.items.push(item);
  }
  shift() {
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  clear() {
    this.items = [];
    this.head = 0;
  }
}

// Calls source.start(onItem) and reports how it ends: onEnd() or onError(error), once.
function startSource(source, onItem, onEnd, onError) {
  let ended;
  try {
    ended = source.start(onItem);
  } catch (error) {
    queueMicrotask(() => onError(error)); // as a rejection would: never from inside start()
    return;
  }
  Promise.resolve(ended).then(() => onEnd(), onError);
}

/**
 * An async iterable over the source's items: `for await (const item of iterate(source))`.
 * The producer starts at the first next(). `break` (or return()) stops it and resolves once
 * source.stop() has; an error from the source ends the loop with that error once the items
 * queued before it were yielded; a stream that ends by itself ends the loop the same way.
 */
function iterate(source, options) {
  checkSource(source);
  const { highWaterMark } = checkConsumerOptions(options);
  const resumeAt = Math.floor(highWaterMark / 2); // a paused source resumes at half a queue
  const queue = new Fifo();
  const waiting = []; // next() calls waiting for an item: { resolve, reject }; only when queue is empty
  const counts = { received: 0, delivered: 0, dropped: 0, discarded: 0, maxQueued: 0 };
  let state = 'idle'; // 'idle' → 'running' → 'ended' | 'failed' (source), or 'closed' (consumer left)
  let failure;
  let paused = false;

  function onItem(item) {
    counts.received++;
    if (state !== 'running') {
      counts.discarded++; // the consumer left: a source may deliver while it stops
      return;
    }
    if (waiting.length > 0) {
      counts.delivered++;
      waiting.shift().resolve({ value: item, done: false });
      return;
    }
    if (queue.length >= highWaterMark) {
      counts.dropped++;
      return;
    }
    queue.push(item);
    counts.maxQueued = Math.max(counts.maxQueued, queue.length);
    if (queue.length >= highWaterMark && source.pause && !paused) {
      paused = true;
      source.pause();
    }
  }

  function settleWaiting() {
    for (const { resolve, reject } of waiting.splice(0)) {
      if (state === 'failed') reject(failure);
      else resolve({ value: undefined, done: true });
      if (state === 'failed') state = 'closed'; // the error is thrown once
    }
  }

  function take() {
    counts.delivered++;
    const item = queue.shift();
    if (paused && queue.length <= resumeAt && state === 'running') {
      paused = false;
      source.resume();
    }
    return { value: item, done: false };
  }

  const iterator = {
    next() {
      if (state === 'idle') {
        state = 'running';
        startSource(
          source,
          onItem,
          () => {
            if (state !== 'running') return;
            state = 'ended';
            settleWaiting();
          },
          (error) => {
            if (state !== 'running') return;
            state = 'failed';
            failure = error;
            settleWaiting();
          },
        );
      }
      if (queue.length > 0) return Promise.resolve(take());
      if (state === 'failed') {
        state = 'closed';
        return Promise.reject(failure);
      }
      if (state !== 'running') return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },

    async return(value) {
      const wasRunning = state === 'running';
      state = 'closed';
      counts.discarded += queue.length;
      queue.clear();
      settleWaiting();
      if (wasRunning) await source.stop();
      return { value, done: true };
    },

    stats() {
      return { ...counts, queued: queue.length };
    },

    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

/**
 * An object-mode stream.Readable of the source's items. The producer starts at the first
 * _read(). A full buffer (highWaterMark items) pauses a source that can pause, and refuses and
 * counts items from one that cannot. destroy() stops the producer: the 'close' event follows
 * source.stop(). An error from the source destroys the stream with that error (what was
 * buffered is discarded, as streams do); a stream that ends by itself pushes null.
 */
function toReadable(source, options) {
  checkSource(source);
  const { highWaterMark } = checkConsumerOptions(options);
  const counts = { received: 0, delivered: 0, dropped: 0, discarded: 0, maxQueued: 0 };
  let state = 'idle'; // 'idle' → 'running' → 'ended' | 'closed'
  let paused = false;

  function onItem(item) {
    counts.received++;
    if (state !== 'running' || readable.destroyed) {
      counts.discarded++;
      return;
    }
    if (readable.readableLength >= highWaterMark) {
      counts.dropped++;
      return;
    }
    counts.delivered++;
    const more = readable.push(item);
    counts.maxQueued = Math.max(counts.maxQueued, readable.readableLength);
    if (!more && source.pause && !paused) {
      paused = true;
      source.pause();
    }
  }

  const readable = new Readable({
    objectMode: true,
    highWaterMark,
    read() {
      if (state === 'idle') {
        state = 'running';
        startSource(
          source,
          onItem,
          () => {
            if (state !== 'running') return;
            state = 'ended';
            readable.push(null);
          },
          (error) => {
            if (state !== 'running') return;
            state = 'ended';
            readable.destroy(error);
          },
        );
      } else if (paused && state === 'running') {
        paused = false;
        source.resume();
      }
    },
    destroy(error, callback) {
      const wasRunning = state === 'running';
      state = 'closed';
      counts.delivered -= this.readableLength; // pushed, but never read: the buffer goes
      counts.discarded += this.readableLength;
      if (!wasRunning) {
        callback(error);
        return;
      }
      Promise.resolve(source.stop()).then(
        () => callback(error),
        (stopError) => callback(error ?? stopError),
      );
    },
  });
  readable.stats = () => ({ ...counts, queued: readable.destroyed ? 0 : readable.readableLength });
  return readable;
}

/**
 * A texample module (docs/contract.md) as a source: items are the callback's first argument,
 * `i`, or `{ value: i, sentNs }` with `stamp: true`. It sets texample.callback. The contract has
 * no pause: a consumer that falls behind drops items (counted by the consumer, not by stats()).
 * @param texample the module, e.g. require('./chapters/04-tsfn')
 * @param startOptions passed to texample.start() as they are (checked there)
 */
function fromTexample(texample, startOptions) {
  if (texample === null || typeof texample !== 'object' || typeof texample.start !== 'function') {
    throw new TypeError('texample must be a texample module (docs/contract.md)');
  }
  if (startOptions?.batch === true) {
    throw new TypeError('batch: true hands the callback arrays; use chapter 5\'s batch.js, whose callback takes items');
  }
  const stamped = startOptions?.stamp === true;
  return {
    start(onItem) {
      texample.callback = stamped ? (value, sentNs) => onItem({ value, sentNs }) : (value) => onItem(value);
      return texample.start(startOptions);
    },
    stop() {
      return texample.stop();
    },
  };
}

/**
 * A recipe (chapters/NN-name/recipe: start(count, onItem, options) → Promise, stop() → Promise)
 * as a source of `{ seq, text }` items. A recipe has no pause either.
 */
function fromRecipe(recipe, count, recipeOptions) {
  if (recipe === null || typeof recipe !== 'object' || typeof recipe.start !== 'function') {
    throw new TypeError('recipe must be a recipe module, with start(count, onItem, options) and stop()');
  }
  return {
    start(onItem) {
      const ended = recipe.start(count, (seq, text) => onItem({ seq, text }), recipeOptions);
      if (typeof ended?.then !== 'function') {
        recipe.stop();
        throw new TypeError('recipe.start() returned no promise: a recipe\'s start() resolves when its stream ends');
      }
      return ended;
    },
    stop() {
      return Promise.resolve(recipe.stop());
    },
  };
}

module.exports = { iterate, toReadable, fromTexample, fromRecipe };
