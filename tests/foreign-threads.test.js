'use strict';
// Chapter 6's own promises, beyond the contract (which tests/conformance.test.js checks): calls
// from the library's threads after stop() and after a worker's teardown are refused, with a
// status the library counts, and counted; request() resolves from a library thread, and rejects
// once the stream has ended; the chapter's own options refuse bad input. Exact counts, no timing
// thresholds: a wait for the library's threads to finish has no time limit of its own (the
// runner's --test-timeout turns a hang into a failure).
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { describe, it, after } = require('node:test');

const CHAPTER = path.join(__dirname, '..', 'chapters', '06-foreign-threads');
const WORKER = path.join(__dirname, 'fixtures', 'worker.js');
const texample = require(CHAPTER);

// Long enough that the library's threads, after an at-once unsubscribe, certainly call again
// before it passes: they stop at the first refusal, so the tests never wait for it.
const LATE_MS = 600_000;

async function until(condition) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

// Resolves once every library thread of the process has finished (subscriptions and replies).
const libraryIdle = () => until(() => texample.libraryStats().threadsRunning === 0);

function difference(after, before) {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - before[key]]));
}

async function streamUntil(options, items) {
  let reached;
  const enough = new Promise((resolve) => (reached = resolve));
  let delivered = 0;
  texample.callback = () => {
    if (++delivered === items) reached();
  };
  const done = texample.start(options);
  await enough;
  return { done }; // not `done` itself, which an async function would wait for
}

describe('06-foreign-threads: calls after stop() and after teardown', () => {
  after(() => texample.stop());

  it('stop() with the at-once unsubscribe: every late call is refused and counted, exactly', async () => {
    await libraryIdle();
    const before = texample.libraryStats();
    const { done } = await streamUntil({ rate: 0, producers: 3, unsubscribe: 'at-once', lateMs: LATE_MS }, 1000);
    const stats = await texample.stop();
    assert.deepEqual(await done, stats);
    assert.equal(stats.sent, stats.delivered + stats.dropped, 'sent === delivered + dropped');
    await libraryIdle();
    const library = difference(texample.libraryStats(), before);
    const { late } = texample.stats();
    assert.ok(late >= 1 && late <= 3, `1 to 3 late calls (one per thread at most), got ${late}`);
    assert.equal(late, library.refused, "stats().late === the library's count of refusals");
    assert.equal(library.unmatched, 0, 'every late call found its stream');
    assert.ok(library.callsAfterUnsubscribe <= late, 'calls after unsubscribe returned were among them');
    assert.deepEqual(texample.stats(), { ...stats, late }, 'only late changed after the stream settled');
  });

  it("stop() with the default 'wait' unsubscribe: no late call, stats final when stop() resolves", async () => {
    await libraryIdle();
    const before = texample.libraryStats();
    const { done } = await streamUntil({ rate: 0, producers: 3, lateMs: LATE_MS }, 1000);
    const stats = await texample.stop();
    assert.deepEqual(await done, stats);
    assert.equal(stats.late, 0);
    const library = difference(texample.libraryStats(), before);
    assert.equal(library.refused, 0, 'the library saw no refusal');
    assert.equal(library.calls, stats.sent, 'every call the library made was an accepted item');
    assert.equal(texample.libraryStats().threadsRunning, 0, "unsubscribe waited for the library's threads");
  });

  it('a worker terminated mid-stream while the library keeps calling: refused, never a crash (20 times)', async () => {
    await libraryIdle();
    const before = texample.libraryStats();
    const rounds = 20;
    const producers = 2;
    for (let round = 0; round < rounds; round++) {
      const worker = new Worker(WORKER, {
        workerData: { modulePath: CHAPTER, mode: 'forever', options: { producers, lateMs: LATE_MS } },
      });
      const exited = new Promise((resolve) => worker.on('exit', resolve));
      await new Promise((resolve) => worker.once('message', resolve));
      await worker.terminate();
      assert.equal(await exited, 1, 'terminate() gives exit code 1');
    }
    await libraryIdle(); // every library thread stopped: each was refused, none waits 10 minutes
    const library = difference(texample.libraryStats(), before);
    assert.ok(
      library.refused >= rounds && library.refused <= rounds * producers,
      `each stream's threads were refused once or twice: ${library.refused} refusals for ${rounds} streams`,
    );
    assert.ok(library.unmatched <= library.refused, 'calls that found no stream were refused');
    const items = [];
    texample.callback = (i) => items.push(i);
    const stats = await texample.start({ count: 1000, rate: 0 });
    assert.deepEqual(items, [...Array(1000).keys()], 'the main thread streams on');
    assert.equal(stats.sent, 1000);
  });
});

// A worker-only load: when the worker ends, no environment holds the addon any more, and Node
// unloads it (dlclose) while the library's threads, whose code lives inside the .node, still run.
// In a process of its own, since this one holds the addon. The worker streams paced, so the
// library's threads sleep in the library's code between items, and is terminated: the teardown
// unsubscribes at once, and each thread wakes to one more call, refused, or to find its
// subscription refused. The main thread then loads the chapter: the same copy if the worker's end
// left it mapped (-z nodelete, binding.gyp), whose library counts those refusals; a fresh copy
// otherwise, if the process is still alive (it was not: SIGSEGV, before the flag).
const WORKER_ONLY = `
  const { Worker } = require('node:worker_threads');
  const CHAPTER = ${JSON.stringify(CHAPTER)};
  const worker = new Worker(\`
    const { parentPort } = require('node:worker_threads');
    const texample = require(\${JSON.stringify(CHAPTER)});
    let delivered = 0;
    texample.callback = () => {
      if (++delivered === 20) parentPort.postMessage('streaming');
    };
    texample.start({ rate: 1000, producers: 4, unsubscribe: 'at-once', lateMs: ${LATE_MS} });
  \`, { eval: true });
  worker.once('message', async () => {
    const code = await worker.terminate();
    const texample = require(CHAPTER);
    while (texample.libraryStats().threadsRunning !== 0) await new Promise((r) => setTimeout(r, 5));
    const { refused, threadsRunning } = texample.libraryStats();
    console.log(JSON.stringify({ code, refused: refused >= 1, threadsRunning }));
  });`;

describe('06-foreign-threads: loaded only by a worker', () => {
  it("the library's threads outlive the worker: the addon stays mapped, and the process exits 0", async () => {
    const run = spawn(process.execPath, ['-e', WORKER_ONLY], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (chunk) => (stdout += chunk));
    run.stderr.on('data', (chunk) => (stderr += chunk));
    const [status, signal] = await new Promise((resolve) => run.on('close', (...end) => resolve(end)));
    assert.deepEqual({ status, signal }, { status: 0, signal: null }, stderr);
    assert.deepEqual(JSON.parse(stdout), { code: 1, refused: true, threadsRunning: 0 });
  });
});

describe('06-foreign-threads: request()', () => {
  after(() => texample.stop());

  it('resolves with the answer the library gives on its own thread', async () => {
    texample.callback = () => {};
    const done = texample.start({ intervalMs: 1000 });
    assert.equal(await texample.request(21), 42);
    assert.equal(await texample.request(2 ** 52), 2 ** 53);
    assert.deepEqual(await Promise.all([1, 2, 3].map((v) => texample.request(v, { delayMs: 3 - v }))), [2, 4, 6]);
    await texample.stop();
    await done;
  });

  it('without a running stream, rejects with an Error saying so', async () => {
    await assert.rejects(texample.request(1), { name: 'Error', message: /no stream is running/ });
  });

  it('rejects when stop() comes before the answer; the late answer is refused and counted', async () => {
    await libraryIdle();
    const before = texample.libraryStats();
    texample.callback = () => {};
    const done = texample.start({ intervalMs: 1000 });
    const answer = texample.request(5, { delayMs: 200 });
    await texample.stop();
    await done;
    await assert.rejects(answer, { name: 'Error', message: /stream ended before the library answered/ });
    await libraryIdle();
    const library = difference(texample.libraryStats(), before);
    assert.equal(library.replies, 1);
    assert.equal(library.refusedReplies, 1);
    assert.equal(texample.stats().lateReplies, 1);
  });

  it("a worker terminated before the answer: the answer finds no stream and is refused", async () => {
    await libraryIdle();
    const before = texample.libraryStats();
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const texample = require(${JSON.stringify(CHAPTER)});
       texample.callback = () => {};
       texample.start({ intervalMs: 1000000 });
       texample.request(7, { delayMs: 200 });
       parentPort.postMessage('requested');`,
      { eval: true },
    );
    const exited = new Promise((resolve) => worker.on('exit', resolve));
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    assert.equal(await exited, 1);
    await libraryIdle();
    const library = difference(texample.libraryStats(), before);
    assert.equal(library.replies, 1);
    assert.equal(library.refusedReplies, 1);
    assert.equal(library.unmatched, 1, 'the answer came after the environment had forgotten it');
  });
});

describe('06-foreign-threads: bad input', () => {
  const START = [
    [{ unsubscribe: 1 }, TypeError, /'unsubscribe'/],
    [{ unsubscribe: 'later' }, RangeError, /'unsubscribe'/],
    [{ unsubscribe: null }, TypeError, /'unsubscribe'/],
    [{ lateMs: -1 }, RangeError, /'lateMs'/],
    [{ lateMs: 1.5 }, RangeError, /'lateMs'/],
    [{ lateMs: NaN }, RangeError, /'lateMs'/],
    [{ lateMs: 2 ** 31 }, RangeError, /'lateMs'/],
    [{ lateMs: '5' }, TypeError, /'lateMs'/],
  ];
  const REQUEST = [
    [['x'], TypeError, /'value'/],
    [[-1], RangeError, /'value'/],
    [[1.5], RangeError, /'value'/],
    [[2 ** 52 + 2], RangeError, /'value'/],
    [[1, null], TypeError, /options/],
    [[1, { delayMs: -1 }], RangeError, /'delayMs'/],
    [[1, { delayMs: '1' }], TypeError, /'delayMs'/],
    [[1, { delay: 1 }], TypeError, /'delay'/],
  ];

  it('start() refuses bad unsubscribe and lateMs with a TypeError or RangeError naming them', () => {
    texample.callback = () => {};
    const before = texample.stats();
    for (const [options, errorClass, message] of START) {
      assert.throws(() => texample.start(options), (error) => error instanceof errorClass && message.test(error.message));
    }
    assert.deepEqual(texample.stats(), before, 'nothing started');
  });

  it('request() refuses a bad value or delayMs with a TypeError or RangeError naming it', () => {
    for (const [args, errorClass, message] of REQUEST) {
      assert.throws(() => texample.request(...args), (error) => error instanceof errorClass && message.test(error.message));
    }
  });
});
