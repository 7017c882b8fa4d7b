'use strict';
// The recipe's promises, checked with exact counts. No timing thresholds: a timeout only turns a
// hang into a failure. Runs under Node (node --test test.js), Bun (bun test ./test.js) and Deno
// (deno test -A test.js); the children run in the same runtime.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const { test } = require('node:test');
const { Worker } = require('node:worker_threads');
const stream = require('./index.js');

const HANG = { timeout: 60_000 }; // only a hang reaches it
const FOREVER = Number.MAX_SAFE_INTEGER;
// Node's thread-safe function: at most 1000 calls per wake-up, then a send for the rest.
const TURN_BUDGET = 1000;
const INDEX = JSON.stringify(path.join(__dirname, 'index.js'));
const items = (count) => Array.from({ length: count }, (_, seq) => [seq, `item ${seq}`]);

// Starts a stream and resolves with what it delivered once `enough(got)` is true.
function collect(count, enough, options) {
  const got = [];
  return new Promise((resolve) => {
    stream.start(count, (seq, text) => {
      got.push([seq, text]);
      if (enough(got)) resolve(got);
    }, options);
  });
}

// A few turns of the event loop: an item delivered late or twice would show up meanwhile.
async function turns() {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

// Shared by the children: loop turns until done() (glibc's threads run meanwhile).
const UNTIL = `
  const until = async (done) => {
    while (!done()) await new Promise((resolve) => setImmediate(resolve));
  };`;

// Runs `source` (CommonJS) in a fresh process of this runtime.
function child(source) {
  const args = process.versions.deno ? ['eval', '--ext=cjs', source] : ['-e', source];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: HANG.timeout });
  assert.equal(result.signal, null, `the child was killed\n${result.stderr}`);
  return result;
}

test('delivers every item once and in order, with its number and its text', HANG, async () => {
  const got = [];
  const delivered = await stream.start(5000, (seq, text) => got.push([seq, text]));
  await turns();
  assert.equal(delivered, 5000);
  assert.deepEqual(got, items(5000));
});

test('a paced stream delivers in order too', HANG, async () => {
  const got = [];
  assert.equal(await stream.start(20, (...item) => got.push(item), { intervalMs: 2 }), 20);
  assert.deepEqual(got, items(20));
});

// No timing: 10 budgets cannot be delivered in fewer than 10 loop turns, and setImmediate runs
// once per turn, after the turn's I/O callbacks; so a chain of them started before the stream
// runs at least 9 times between its first item and its last.
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
  const got = await collect(FOREVER, (got) => got.length >= 300);
  const promise = stream.stop();
  const delivered = got.length;
  await turns();
  assert.equal(got.length, delivered);
  assert.deepEqual(got, items(delivered));
  assert.equal(await promise, delivered);
  assert.equal(stream.stop(), promise); // twice: the same promise
});

test('stop() inside the callback ends delivery there; a new stream starts', HANG, async () => {
  const got = await collect(FOREVER, (got) => got.length === 200 && (stream.stop(), true));
  await turns();
  assert.deepEqual(got, items(200));
  assert.equal(await stream.stop(), 200);
  const again = await collect(100, (again) => again.length === 100);
  assert.deepEqual(again, items(100));
});

test('count 0, stop() before start(), and a second start() while one runs', HANG, async () => {
  assert.equal(await stream.start(0, () => assert.fail('no item')), 0);
  assert.equal(await stream.stop(), 0);
  const running = stream.start(FOREVER, () => {});
  assert.throws(() => stream.start(1, () => {}), { name: 'Error', message: /already running/ });
  stream.stop();
  assert.equal(typeof (await running), 'number');
});

test('bad input: errors that name what is wrong', () => {
  const noop = () => {};
  assert.throws(() => stream.start('1', noop), { name: 'TypeError', message: /count/ });
  assert.throws(() => stream.start(-1, noop), { name: 'RangeError', message: /count/ });
  assert.throws(() => stream.start(1.5, noop), { name: 'RangeError', message: /count/ });
  assert.throws(() => stream.start(2 ** 53, noop), { name: 'RangeError', message: /count/ });
  assert.throws(() => stream.start(1, null), { name: 'TypeError', message: /onItem/ });
  assert.throws(() => stream.start(1, noop, null), { name: 'TypeError', message: /options/ });
  assert.throws(() => stream.start(1, noop, { intervalMs: '1' }), {
    name: 'TypeError',
    message: /intervalMs/,
  });
  for (const intervalMs of [-1, NaN, 2 ** 31]) {
    assert.throws(() => stream.start(1, noop, { intervalMs }), {
      name: 'RangeError',
      message: /intervalMs/,
    });
  }
  assert.throws(() => stream.start(1, noop, { holdAfter: -1 }), {
    name: 'RangeError',
    message: /holdAfter/,
  });
  assert.throws(() => stream.start(1, noop, { interval: 1 }), {
    name: 'TypeError',
    message: /unknown option interval\b/,
  });
});

test('workers terminated mid-stream exit with 1; this thread streams meanwhile', HANG, async () => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    const stream = require(${INDEX});
    let count = 0;
    stream.start(${FOREVER}, () => ++count === 500 && parentPort.postMessage('streaming'));`;
  const workers = [1, 2].map(() => new Worker(source, { eval: true }));
  const mine = collect(2000, (got) => got.length === 2000);
  await Promise.all(workers.map((worker) => once(worker, 'message')));
  assert.deepEqual(await Promise.all(workers.map((worker) => worker.terminate())), [1, 1]);
  const got = await mine;
  await turns();
  assert.deepEqual(got, items(2000));
});

test('a finite stream ends by itself, and the process exits', HANG, () => {
  const ended = child(`
    const stream = require(${INDEX});
    stream.start(1000, () => {}).then((delivered) => {
      const { calls, late } = stream.callbacks();
      console.log(delivered, calls - late); // every callback is an item or late
    });`);
  assert.equal(ended.status, 0, ended.stderr);
  assert.equal(ended.stdout, '1000 1000\n');
});

// holdAfter (test only) holds every callback after the n-th before it looks its stream up, until
// stop(): library threads still in flight when stop() returns, as many as the test waits for.
const HELD = 3;

test('callbacks still in flight when stop() returns are refused and counted', HANG, () => {
  const n = 200;
  const run = child(`
    const stream = require(${INDEX});
    ${UNTIL}
    (async () => {
      const got = [];
      stream.start(${FOREVER}, (seq) => got.push(seq), { intervalMs: 1, holdAfter: ${n} });
      await until(() => got.length === ${n} && stream.callbacks().calls >= ${n + HELD});
      const before = stream.callbacks();
      const delivered = await stream.stop();
      // The held callbacks run now, after stop() returned, and so may one glibc started late.
      await until(() => stream.callbacks().late === stream.callbacks().calls - ${n});
      const after = stream.callbacks();
      console.log(JSON.stringify({ lateBefore: before.late, delivered, got: got.length,
        inOrder: got.every((seq, i) => seq === i), late: after.late, calls: after.calls }));
    })();`);
  assert.equal(run.status, 0, run.stderr);
  const seen = JSON.parse(run.stdout);
  assert.deepEqual({ ...seen, late: 'checked below', calls: 'checked below' }, {
    lateBefore: 0,
    delivered: n,
    got: n,
    inOrder: true,
    late: 'checked below',
    calls: 'checked below',
  });
  assert.equal(seen.late, seen.calls - n); // every callback after the n-th refused
  assert.ok(seen.late >= HELD, `${seen.late} late callbacks`);
});

test('a worker terminated with callbacks held: they are refused after its teardown', HANG, () => {
  // Only the worker loads the addon: its end unloads it, and -z nodelete keeps the code that
  // the released callbacks run, and the registry that the main thread then reads.
  const n = 100;
  const run = child(`
    const { Worker } = require('node:worker_threads');
    ${UNTIL}
    const worker = new Worker(\`
      const { parentPort } = require('node:worker_threads');
      const stream = require(${INDEX});
      let count = 0;
      stream.start(${FOREVER}, () => ++count, { intervalMs: 1, holdAfter: ${n} });
      const poll = () => count === ${n} && stream.callbacks().calls >= ${n + HELD}
        ? parentPort.postMessage('held') : setImmediate(poll);
      poll();\`, { eval: true });
    worker.once('message', async () => {
      const code = await worker.terminate();
      const stream = require(${INDEX});
      await until(() => stream.callbacks().late === stream.callbacks().calls - ${n});
      console.log(code, stream.callbacks().late >= ${HELD});
    });`);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, '1 true\n');
});

test('process.exit() mid-stream exits with its code, also with callbacks held', HANG, () => {
  const plain = child(`
    const stream = require(${INDEX});
    let count = 0;
    stream.start(${FOREVER}, () => ++count === 1000 && process.exit(7));`);
  assert.equal(plain.status, 7, plain.stderr);
  const held = child(`
    const stream = require(${INDEX});
    let count = 0;
    stream.start(${FOREVER}, () => ++count, { intervalMs: 1, holdAfter: 100 });
    const poll = () => count === 100 && stream.callbacks().calls >= ${100 + HELD}
      ? process.exit(7) : setImmediate(poll);
    poll();`);
  assert.equal(held.status, 7, held.stderr);
});

test("an exception thrown by the callback reaches 'uncaughtException'", HANG, () => {
  const handled = child(`
    const stream = require(${INDEX});
    process.on('uncaughtException', (error) => console.log('caught', error.message));
    stream.start(10, (seq) => {
      if (seq === 4) throw new Error('boom 4');
      if (seq === 9) console.log('delivered', seq);
    });`);
  assert.equal(handled.status, 0, handled.stderr);
  assert.equal(handled.stdout, 'caught boom 4\ndelivered 9\n'); // and delivery went on
  const unhandled = child(`
    require(${INDEX}).start(10, (seq) => {
      if (seq === 4) throw new Error('boom 4');
    });`);
  assert.equal(unhandled.status, 1);
  assert.match(unhandled.stderr, /boom 4/);
});
