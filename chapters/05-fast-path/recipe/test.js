'use strict';
// The recipe's promises, checked with exact counts. No timing thresholds: a timeout only turns a
// hang into a failure.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { once } = require('node:events');
const { test } = require('node:test');
const { Worker } = require('node:worker_threads');
const stream = require('./index.js');

const HANG = { timeout: 60_000 }; // only a hang reaches it
const FOREVER = Number.MAX_SAFE_INTEGER;
// recipe.cc's kSlots: one drain delivers what was published when it began, a ring at most; a
// loop turn has at most two, the producer's wake-up and the come-back from setImmediate.
const TURN_BUDGET = 2 * 1024;
const items = (count) => Array.from({ length: count }, (_, seq) => [seq, `item ${seq}`]);

// Starts a stream and resolves with what it delivered once `enough(got)` is true.
function collect(count, enough) {
  const got = [];
  return new Promise((resolve) => {
    stream.start(count, (seq, text) => {
      got.push([seq, text]);
      if (enough(got)) resolve(got);
    });
  });
}

// A few turns of the event loop: an item delivered late or twice would show up meanwhile.
async function turns() {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

// Runs `source` in a fresh process of this runtime (Node, Bun or Deno), in this folder.
function child(source) {
  const evaluate = process.versions.deno ? ['eval', source] : ['-e', source];
  const result = spawnSync(process.execPath, evaluate, {
    cwd: __dirname,
    encoding: 'utf8',
    timeout: HANG.timeout,
  });
  assert.equal(result.signal, null, `the child hung and was killed\n${result.stderr}`);
  return result;
}

test('delivers every item once and in order, with its number and its text', HANG, async () => {
  const got = await collect(10_000, (got) => got.length === 10_000);
  await turns();
  stream.stop();
  assert.deepEqual(got, items(10_000));
});

// No timing: 10 turns' worth cannot be delivered in fewer than 10 loop turns, and setImmediate
// runs once per turn, after the turn's I/O callbacks; so a chain of them started before the
// stream runs at least 9 times between its first item and its last.
test('a flood of 10 turns of items leaves setImmediate at least 9 turns', HANG, async () => {
  const turns = 10;
  const count = turns * TURN_BUDGET;
  let delivered = 0;
  let between = 0; // immediates that ran after the first item and before the last
  const chain = () => {
    if (delivered > 0 && delivered < count) between++;
    if (delivered < count) setImmediate(chain);
  };
  setImmediate(chain);
  assert.equal(await stream.start(count, () => delivered++), count);
  assert.ok(between >= turns - 1, `setImmediate ran ${between} times in the flood, at least ${turns - 1}`);
});

test('stop() mid-stream: a prefix was delivered, and nothing after stop()', HANG, async () => {
  const got = await collect(FOREVER, (got) => got.length >= 1000);
  stream.stop();
  const delivered = got.length;
  await turns();
  assert.equal(got.length, delivered);
  assert.deepEqual(got, items(delivered));
});

test('stop() inside the callback ends delivery there; a new stream starts', HANG, async () => {
  const got = await collect(FOREVER, (got) => got.length === 500 && (stream.stop(), true));
  await turns();
  assert.deepEqual(got, items(500));
  const again = await collect(100, (again) => again.length === 100);
  stream.stop();
  assert.deepEqual(again, items(100));
});

test('workers terminated mid-stream exit with 1; this thread streams meanwhile', HANG, async () => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const stream = require(${JSON.stringify(require.resolve('./index.js'))});
    let count = 0;
    stream.start(${FOREVER}, () => ++count === 1000 && parentPort.postMessage('streaming'));`;
  const workers = [1, 2].map(() => new Worker(source, { eval: true }));
  const mine = collect(20_000, (got) => got.length === 20_000);
  await Promise.all(workers.map((worker) => once(worker, 'message')));
  assert.deepEqual(await Promise.all(workers.map((worker) => worker.terminate())), [1, 1]);
  const got = await mine;
  stream.stop();
  assert.deepEqual(got, items(20_000));
});

test('the process exits by itself once the stream is stopped', HANG, () => {
  const loaded = child(`require('./index.js');`);
  assert.equal(loaded.status, 0, loaded.stderr);
  const stopped = child(`
    const stream = require('./index.js');
    let count = 0;
    stream.start(${FOREVER}, () => ++count === 1000 && stream.stop());`);
  assert.equal(stopped.status, 0, stopped.stderr);
});

test('process.exit() mid-stream exits, with its code', HANG, () => {
  const exited = child(`
    const stream = require('./index.js');
    let count = 0;
    stream.start(${FOREVER}, () => ++count === 1000 && process.exit(7));`);
  assert.equal(exited.status, 7, exited.stderr);
});

test("an exception thrown by the callback reaches 'uncaughtException'", HANG, () => {
  const handled = child(`
    const stream = require('./index.js');
    process.on('uncaughtException', (error) => console.log('caught', error.message));
    stream.start(10, (seq) => {
      if (seq === 4) throw new Error('boom 4');
      if (seq === 9) console.log('delivered', seq), stream.stop();
    });`);
  assert.equal(handled.status, 0, handled.stderr);
  assert.equal(handled.stdout, 'caught boom 4\ndelivered 9\n'); // and delivery went on
  const unhandled = child(`
    require('./index.js').start(10, (seq) => {
      if (seq === 4) throw new Error('boom 4');
    });`);
  assert.equal(unhandled.status, 1);
  assert.match(unhandled.stderr, /boom 4/);
});

test('a finite stream ends by itself: its promise resolves with the count', HANG, async () => {
  const got = [];
  assert.equal(await stream.start(1000, (seq, text) => got.push([seq, text])), 1000);
  assert.deepEqual(got, items(1000));
  assert.equal(await stream.start(0, () => assert.fail('no item')), 0);
  const paced = [];
  assert.equal(await stream.start(3, (seq, text) => paced.push([seq, text]), { intervalMs: 1 }), 3);
  assert.deepEqual(paced, items(3));
});

test('after its last item, the process exits by itself (no stop())', HANG, () => {
  const ended = child(`
    let count = 0;
    require('./index.js').start(5000, () => count++).then((n) => console.log('ended', n, count));`);
  assert.equal(ended.status, 0, ended.stderr);
  assert.equal(ended.stdout, 'ended 5000 5000\n');
});

test('stop() wakes a producer waiting out a long interval', HANG, async () => {
  const got = [];
  let first;
  const arrived = new Promise((resolve) => (first = resolve));
  const ended = stream.start(FOREVER, (seq, text) => (got.push([seq, text]), first()), {
    intervalMs: 1e9, // about 11.6 days: only a woken producer lets stop() return
  });
  await arrived;
  const stopped = stream.stop();
  assert.equal(stopped, ended); // the same promise
  assert.equal(await ended, 1);
  await turns();
  assert.deepEqual(got, items(1));
  assert.equal(await stream.stop(), 1); // twice: the same answer
});

test('bad arguments: TypeError or RangeError naming the argument', HANG, () => {
  const noop = () => {};
  const fails = (args, name, pattern) =>
    assert.throws(
      () => stream.start(...args),
      (error) => error.name === name && pattern.test(error.message),
    );
  fails([-1, noop], 'RangeError', /^count/);
  fails([1.5, noop], 'RangeError', /^count/);
  fails([2 ** 53, noop], 'RangeError', /^count/);
  fails(['10', noop], 'TypeError', /^count/);
  fails([10, 'f'], 'TypeError', /^onItem/);
  fails([10, noop, null], 'TypeError', /^options/);
  fails([10, noop, { intervalMs: '5' }], 'TypeError', /^intervalMs/);
  fails([10, noop, { intervalMs: -1 }], 'RangeError', /^intervalMs/);
  fails([10, noop, { intervalMs: NaN }], 'RangeError', /^intervalMs/);
  fails([10, noop, { intervalMs: 2 ** 31 }], 'RangeError', /^intervalMs/);
  fails([10, noop, { interval: 5 }], 'TypeError', /option interval\b/);
});

test('a second start() throws while one runs; a first stop() gives 0', HANG, async () => {
  const ended = stream.start(FOREVER, () => {}, { intervalMs: 1e9 });
  const again = { name: 'Error', message: 'a stream is already running' };
  assert.throws(() => stream.start(1, () => {}), again);
  assert.equal(await stream.stop(), await ended);
  const fresh = child(`require('./index.js').stop().then((n) => console.log('stopped', n));`);
  assert.equal(fresh.stdout, 'stopped 0\n', fresh.stderr);
});

test("a null thrown by the callback reaches 'uncaughtException' as an Error", HANG, () => {
  const handled = child(`
    const stream = require('./index.js');
    process.on('uncaughtException', (error) => console.log('caught', error.message));
    stream.start(3, (seq) => {
      if (seq === 1) throw null;
      if (seq === 2) console.log('delivered', seq);
    });`);
  assert.equal(handled.status, 0, handled.stderr);
  assert.equal(handled.stdout, 'caught onItem threw null\ndelivered 2\n'); // and delivery went on
});
