'use strict';
// common/consume.js: a stream as an async iterable and as an object-mode Readable, over real
// chapters (the texample contract) and over JS sources that inject what a chapter cannot: a
// producer that pauses, a source that fails. No timing thresholds: every assertion is about
// counts and values; a slow consumer is one that does not pull until the stream has ended, or
// that waits a loop turn per item.
const assert = require('node:assert/strict');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const { Writable } = require('node:stream');
const { describe, it } = require('node:test');
const { iterate, toReadable, fromTexample, fromRecipe } = require('../common/consume');

const CHAPTERS = ['02-uv-async', '04-tsfn', '05-fast-path'];
const load = (name) => require(path.join(__dirname, '..', 'chapters', name));
const turn = () => new Promise(setImmediate);

async function loopTurns(n) {
  for (let k = 0; k < n; k++) await turn();
  await new Promise((resolve) => setTimeout(resolve, 10)); // a timer phase too, not a threshold
}

// A source whose end the test can await as well: `ended` settles as start()'s promise does.
function watched(source) {
  let ended;
  const wrapped = {
    ...source,
    start(onItem) {
      ended = Promise.resolve(source.start(onItem)).then(
        () => 'ended',
        () => 'failed',
      );
      return ended;
    },
    stop: () => source.stop(),
    get ended() {
      return ended;
    },
  };
  return wrapped;
}

// A JS producer of items 0 … count-1, up to `burst` per loop turn (as a wake-up delivers several),
// that can pause, and can fail before item `failAt`.
function jsSource({ count, burst = 10, pausable = false, failAt = -1 }) {
  const state = { sent: 0, pauses: 0, resumes: 0, stops: 0, paused: false, stopped: false };
  let timer = null;
  let settle;
  function emit(onItem) {
    timer = null;
    for (let k = 0; k < burst && !state.paused && !state.stopped && state.sent < count; k++) {
      if (state.sent === failAt) {
        state.stopped = true;
        settle.reject(new Error(`the producer failed before item ${failAt}`));
        return;
      }
      onItem(state.sent++);
    }
    if (state.sent === count) settle.resolve(state.sent);
    else if (!state.paused && !state.stopped) timer = setImmediate(emit, onItem);
  }
  let onItemOfStream;
  const source = {
    state,
    start(onItem) {
      onItemOfStream = onItem;
      const ended = new Promise((resolve, reject) => (settle = { resolve, reject }));
      timer = setImmediate(emit, onItem);
      return ended;
    },
    async stop() {
      state.stops++;
      state.stopped = true;
      clearImmediate(timer);
      settle?.resolve(state.sent);
      return state.sent;
    },
  };
  if (pausable) {
    source.pause = () => {
      state.pauses++;
      state.paused = true;
    };
    source.resume = () => {
      state.resumes++;
      state.paused = false;
      if (timer === null && !state.stopped) timer = setImmediate(emit, onItemOfStream);
    };
  }
  return source;
}

const range = (n) => Array.from({ length: n }, (_, k) => k);

describe('iterate() over chapters', () => {
  for (const name of CHAPTERS) {
    it(`${name}: for await yields exactly 0 … N-1 when the queue can hold a whole wake-up`, async () => {
      const texample = load(name);
      const count = 20000;
      const items = [];
      const iterable = iterate(fromTexample(texample, { count, rate: 0 }), { highWaterMark: count });
      for await (const item of iterable) items.push(item);
      assert.deepEqual(items, range(count));
      assert.deepEqual(texample.stats().sent, count);
      const stats = iterable.stats();
      assert.equal(stats.delivered, count);
      assert.equal(stats.dropped, 0);
      assert.equal(stats.queued, 0);
    });

    it(`${name}: a consumer that falls behind keeps highWaterMark items and counts the rest as dropped`, async () => {
      const texample = load(name);
      const count = 5000;
      const highWaterMark = 100;
      const source = watched(fromTexample(texample, { count, rate: 0 }));
      const iterable = iterate(source, { highWaterMark });
      const items = [(await iterable.next()).value]; // starts the stream; then no pull until it ends
      assert.equal(await source.ended, 'ended');
      for await (const item of iterable) items.push(item);
      // Item 0 went to the waiting next(), 1 … 100 filled the queue, the rest were refused.
      assert.deepEqual(items, range(highWaterMark + 1));
      const stats = iterable.stats();
      assert.equal(stats.maxQueued, highWaterMark);
      assert.equal(stats.dropped, count - highWaterMark - 1);
      assert.equal(stats.delivered + stats.dropped, count);
      assert.equal(texample.stats().sent, count);
      assert.equal(texample.stats().delivered, stats.received);
    });

    it(`${name}: a slow consumer never has more than highWaterMark items queued`, async () => {
      const texample = load(name);
      const count = 20000;
      const highWaterMark = 64;
      const iterable = iterate(fromTexample(texample, { count, rate: 0 }), { highWaterMark });
      let last = -1;
      let yielded = 0;
      for await (const item of iterable) {
        assert.ok(item > last, `item ${item} after ${last}: in order, none twice`);
        last = item;
        yielded++;
        await turn();
      }
      const stats = iterable.stats();
      assert.ok(stats.maxQueued <= highWaterMark, `maxQueued ${stats.maxQueued} ≤ ${highWaterMark}`);
      assert.equal(stats.delivered, yielded);
      assert.equal(stats.delivered + stats.dropped, count);
      assert.equal(texample.stats().sent, count);
    });

    it(`${name}: break stops the producer`, async () => {
      const texample = load(name);
      const iterable = iterate(fromTexample(texample, { count: Infinity, rate: 100000 }), { highWaterMark: 16 });
      let yielded = 0;
      let last = -1;
      for await (const item of iterable) {
        assert.ok(item > last, `item ${item} after ${last}: in order, none twice`);
        last = item;
        if (++yielded === 50) break;
      }
      const after = texample.stats();
      assert.equal(after.sent, after.delivered + after.dropped, 'the stream has settled');
      await loopTurns(5);
      assert.deepEqual(texample.stats(), after, 'nothing sent or delivered after the loop');
      const stats = iterable.stats();
      assert.equal(stats.delivered, 50);
      assert.equal(stats.queued, 0);
      assert.equal(stats.received, after.delivered, 'every item the chapter delivered was counted');
      assert.equal(stats.received, stats.delivered + stats.dropped + stats.discarded);
      assert.deepEqual(await texample.stop(), after, 'stop() finds nothing running');
    });

    it(`${name}: an exception in the loop's body stops the producer and reaches the caller`, async () => {
      const texample = load(name);
      const iterable = iterate(fromTexample(texample, { count: Infinity, rate: 100000 }));
      await assert.rejects(async () => {
        for await (const item of iterable) if (item === 10) throw new Error('the consumer failed');
      }, /the consumer failed/);
      const after = texample.stats();
      assert.equal(after.sent, after.delivered + after.dropped, 'the stream has settled');
      await loopTurns(3);
      assert.deepEqual(texample.stats(), after);
    });
  }

  it('an option start() refuses ends the loop with its error, and nothing starts', async () => {
    const texample = load('04-tsfn');
    const iterable = iterate(fromTexample(texample, { count: -1 }));
    await assert.rejects(async () => {
      for await (const item of iterable) assert.fail(`no item expected, got ${item}`);
    }, (error) => error instanceof RangeError && /'count'/.test(error.message));
    assert.equal(iterable.stats().received, 0);
    // Nothing runs: a stream starts.
    const items = [];
    for await (const item of iterate(fromTexample(texample, { count: 3, rate: 0 }))) items.push(item);
    assert.deepEqual(items, [0, 1, 2]);
  });

  it('stamp: true yields { value, sentNs }', async () => {
    const texample = load('05-fast-path');
    const items = [];
    for await (const item of iterate(fromTexample(texample, { count: 3, rate: 0, stamp: true }))) items.push(item);
    assert.deepEqual(items.map((item) => item.value), [0, 1, 2]);
    for (const { sentNs } of items) assert.equal(typeof sentNs, 'number');
  });
});

describe('iterate() over sources that pause or fail', () => {
  it('a source that can pause waits instead of dropping: exactly 0 … N-1, the queue bounded', async () => {
    const count = 3000;
    const highWaterMark = 32;
    const source = jsSource({ count, burst: 50, pausable: true });
    const iterable = iterate(source, { highWaterMark });
    const items = [];
    for await (const item of iterable) {
      items.push(item);
      await turn();
      await turn();
    }
    assert.deepEqual(items, range(count));
    const stats = iterable.stats();
    assert.equal(stats.dropped, 0);
    assert.equal(stats.maxQueued, highWaterMark);
    assert.ok(source.state.pauses > 0, 'the producer was paused');
    assert.equal(source.state.pauses, source.state.resumes);
  });

  it('a source that fails ends the loop with its error, after the items queued before it', async () => {
    const source = jsSource({ count: 1000, failAt: 25, burst: 100 });
    const items = [];
    await assert.rejects(async () => {
      for await (const item of iterate(source, { highWaterMark: 1000 })) items.push(item);
    }, /the producer failed before item 25/);
    assert.deepEqual(items, range(25));
    assert.equal(source.state.stops, 0, 'a failed stream is not stopped again');
  });

  it('a start() that throws ends the loop with that error', async () => {
    const source = {
      start() {
        throw new TypeError('bad start');
      },
      stop: async () => 0,
    };
    await assert.rejects(async () => {
      for await (const item of iterate(source)) assert.fail(`no item expected, got ${item}`);
    }, /bad start/);
  });

  it('break resolves once stop() has, and items arriving after it are counted as discarded', async () => {
    const source = jsSource({ count: 100000, burst: 10 });
    const iterable = iterate(source, { highWaterMark: 8 });
    for await (const item of iterable) if (item === 3) break;
    assert.equal(source.state.stops, 1, 'stop() was called, and had resolved when the loop ended');
    const sent = source.state.sent;
    await loopTurns(3);
    assert.equal(source.state.sent, sent, 'the producer emits nothing more');
    const stats = iterable.stats();
    assert.equal(stats.delivered, 4);
    assert.equal(stats.received, sent);
    assert.equal(stats.received, stats.delivered + stats.dropped + stats.discarded);
  });

  it('rejects bad options and sources by name', () => {
    const source = jsSource({ count: 1 });
    assert.throws(() => iterate(source, { highWaterMark: 0 }), (e) => e instanceof RangeError && /^highWaterMark/.test(e.message));
    assert.throws(() => iterate(source, { highWaterMark: 1.5 }), (e) => e instanceof RangeError && /^highWaterMark/.test(e.message));
    assert.throws(() => iterate(source, { highWaterMark: '8' }), (e) => e instanceof TypeError && /^highWaterMark/.test(e.message));
    assert.throws(() => iterate(source, { highWatermark: 8 }), (e) => e instanceof TypeError && /^highWatermark/.test(e.message));
    assert.throws(() => iterate(source, null), (e) => e instanceof TypeError && /^options/.test(e.message));
    assert.throws(() => iterate({}), (e) => e instanceof TypeError && /^source/.test(e.message));
    assert.throws(() => toReadable({ start() {}, stop() {}, pause() {} }), /^TypeError: source/);
    assert.throws(() => fromTexample(load('05-fast-path'), { batch: true }), /batch\.js/);
  });
});

describe('fromRecipe()', () => {
  // A recipe as docs/../RECIPE-API: start(count, onItem, options) → Promise, stop() → Promise.
  function jsRecipe() {
    let source = null;
    return {
      start(count, onItem, options) {
        assert.equal(options, undefined);
        source = jsSource({ count, burst: 7 });
        return source.start((seq) => onItem(seq, `item ${seq}`));
      },
      stop: () => (source ? source.stop() : Promise.resolve(0)),
    };
  }

  it('yields { seq, text } items, every one', async () => {
    const items = [];
    for await (const item of iterate(fromRecipe(jsRecipe(), 100))) items.push(item);
    assert.deepEqual(items, range(100).map((seq) => ({ seq, text: `item ${seq}` })));
  });

  it('a recipe whose start() returns no promise is an error, and its stream is stopped', async () => {
    let stops = 0;
    const old = { start() {}, stop: () => stops++ };
    await assert.rejects(async () => {
      for await (const item of iterate(fromRecipe(old, 10))) assert.fail(`no item expected, got ${item}`);
    }, (e) => e instanceof TypeError && /returned no promise/.test(e.message));
    assert.equal(stops, 1);
  });
});

// A Writable that takes one item per loop turn, and keeps what it got.
function slowWritable(received) {
  return new Writable({
    objectMode: true,
    highWaterMark: 4,
    write(item, _encoding, callback) {
      received.push(item);
      setImmediate(callback);
    },
  });
}

describe('toReadable()', () => {
  for (const name of CHAPTERS) {
    it(`${name}: pipeline() into a slow Writable: items in order, delivered + dropped = sent`, async () => {
      const texample = load(name);
      const count = 20000;
      const highWaterMark = 64;
      const readable = toReadable(fromTexample(texample, { count, rate: 0 }), { highWaterMark });
      const written = [];
      await pipeline(readable, slowWritable(written));
      for (let k = 1; k < written.length; k++) assert.ok(written[k] > written[k - 1], `in order at ${k}`);
      const stats = readable.stats();
      assert.equal(written.length, stats.delivered);
      assert.ok(stats.maxQueued <= highWaterMark, `maxQueued ${stats.maxQueued} ≤ ${highWaterMark}`);
      assert.equal(stats.delivered + stats.dropped, count);
      assert.equal(stats.discarded, 0);
      assert.equal(texample.stats().sent, count);
    });

    it(`${name}: destroy() mid-stream stops the producer`, async () => {
      const texample = load(name);
      const readable = toReadable(fromTexample(texample, { count: Infinity, rate: 100000 }), { highWaterMark: 16 });
      const seen = [];
      readable.on('data', (item) => {
        seen.push(item);
        if (seen.length === 50) readable.destroy();
      });
      await new Promise((resolve) => readable.on('close', resolve));
      const after = texample.stats();
      assert.equal(after.sent, after.delivered + after.dropped, 'the stream has settled');
      await loopTurns(5);
      assert.deepEqual(texample.stats(), after, 'nothing sent or delivered after close');
      assert.deepEqual(seen, range(50));
      const stats = readable.stats();
      assert.equal(stats.received, after.delivered, 'every item the chapter delivered was counted');
      assert.equal(stats.received, stats.delivered + stats.dropped + stats.discarded);
    });
  }

  it('a source that can pause: pipeline() writes exactly 0 … N-1, the buffer bounded', async () => {
    const count = 3000;
    const highWaterMark = 16;
    const source = jsSource({ count, burst: 50, pausable: true });
    const readable = toReadable(source, { highWaterMark });
    const written = [];
    await pipeline(readable, slowWritable(written));
    assert.deepEqual(written, range(count));
    const stats = readable.stats();
    assert.equal(stats.dropped, 0);
    assert.ok(stats.maxQueued <= highWaterMark, `maxQueued ${stats.maxQueued} ≤ ${highWaterMark}`);
    assert.ok(source.state.pauses > 0, 'the producer was paused');
  });

  it('a source that fails makes pipeline() reject with its error', async () => {
    const source = jsSource({ count: 1000, failAt: 25 });
    const written = [];
    await assert.rejects(pipeline(toReadable(source), slowWritable(written)), /the producer failed before item 25/);
    for (let k = 0; k < written.length; k++) assert.equal(written[k], k);
  });
});
