'use strict';
// The conformance suite: docs/contract.md, checked against every chapter and variant that
// tests/chapters.js finds. A new chapter is tested by these tests, not by new ones.
// No timing thresholds: every assertion is about counts, order and exit codes.
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { spawn, execFileSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { describe, it, after } = require('node:test');
const { conformanceTargets } = require('../common/chapters');

const CHILD = path.join(__dirname, 'fixtures', 'child.js');
const WORKER = path.join(__dirname, 'fixtures', 'worker.js');
const CHILD_TIMEOUT_MS = 60_000; // only so that a hang fails instead of blocking the suite

const { checkDelivery, printedItemAtOrPast } = require('./contract-checks');

async function collect(texample, options) {
  const items = [];
  texample.callback = (i) => items.push(i);
  const stats = await texample.start(options);
  return { items, stats };
}

// Runs the child fixture; resolves { code, signal, stdout, stderr }. `until(stdout)` true kills it.
function runChild(target, scenario, { until, env = process.env } = {}) {
  const args = [CHILD, target.modulePath, scenario, JSON.stringify(target.startOptions)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  let killedByUs = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (until?.(stdout) && !killedByUs) {
      killedByUs = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killedByUs });
    });
  });
}

// Resolves once `condition()` holds, checking between event-loop turns. No time limit of its
// own: the runner's --test-timeout (Makefile) turns a condition that never holds into a failure.
async function until(condition) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

// The preloadable library that makes one pthread_create fail (tests/fixtures/fail-thread), built
// here on first use so that the suite needs no build step of its own. It is built for the
// architecture of the Node that runs the suite, which is not always the host's: a library of
// another architecture is skipped by the loader with only a warning, and the thread that should
// fail is created. Under qemu-user an arm64 Node needs the aarch64 cross compiler.
const ELF_MACHINES = { x64: [0x3e, 'x86_64'], arm64: [0xb7, 'aarch64'] };

function failThreadCompiler() {
  if (process.env.CC) return process.env.CC;
  const [, triple] = ELF_MACHINES[process.arch] ?? [];
  const env = { ...process.env, LD_PRELOAD: '' };
  const host = execFileSync('cc', ['-dumpmachine'], { encoding: 'utf8', env });
  return !triple || host.startsWith(triple) ? 'cc' : `${triple}-linux-gnu-gcc`;
}

function failThreadLibrary() {
  const source = path.join(__dirname, 'fixtures', 'fail-thread', 'fail-thread.c');
  const build = path.join(__dirname, 'fixtures', 'fail-thread', 'build');
  const library = path.join(build, `fail-thread-${process.arch}.so`);
  if (!fs.existsSync(library) || fs.statSync(library).mtimeMs < fs.statSync(source).mtimeMs) {
    fs.mkdirSync(build, { recursive: true });
    const args = ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-o', library, source, '-ldl'];
    // LD_PRELOAD emptied: no sanitizer runtime in the compiler.
    execFileSync(failThreadCompiler(), args, { env: { ...process.env, LD_PRELOAD: '' } });
  }
  const [machine, triple] = ELF_MACHINES[process.arch] ?? [];
  const built = fs.readFileSync(library).readUInt16LE(18); // ELF e_machine
  if (machine !== undefined && built !== machine) {
    throw new Error(
      `${library} is not built for ${process.arch} (ELF machine 0x${built.toString(16)}): ` +
        `set CC to a compiler for ${triple}, remove the file and run again`,
    );
  }
  return library;
}

// The environment of a child in which the `failAt`-th thread created once it arms the library
// fails. A sanitizer's runtime, preloaded already, must stay first in the list.
function failThreadEnv(failAt) {
  const preload = [process.env.LD_PRELOAD, failThreadLibrary()].filter(Boolean).join(' ');
  return { ...process.env, LD_PRELOAD: preload, FAIL_AT: String(failAt) };
}

function lastJsonLine(stdout) {
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

function runWorker(target, mode, options) {
  const workerData = { modulePath: target.modulePath, mode, options };
  return new Worker(WORKER, { workerData });
}

function workerResult(worker) {
  return new Promise((resolve, reject) => {
    let message;
    worker.on('message', (m) => (message = m));
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ code, message }));
  });
}

const BAD_INPUTS = [
  [null, TypeError, /options/],
  ['fast', TypeError, /options/],
  [42, TypeError, /options/],
  [[], TypeError, /options/],
  [() => {}, TypeError, /options/],
  [{ count: -1 }, RangeError, /'count'/],
  [{ count: 1.5 }, RangeError, /'count'/],
  [{ count: NaN }, RangeError, /'count'/],
  [{ count: -Infinity }, RangeError, /'count'/],
  [{ count: 2 ** 53 }, RangeError, /'count'/],
  [{ count: '5' }, TypeError, /'count'/],
  [{ count: 10n }, TypeError, /'count'/],
  [{ count: null }, TypeError, /'count'/],
  [{ intervalMs: -1 }, RangeError, /'intervalMs'/],
  [{ intervalMs: Infinity }, RangeError, /'intervalMs'/],
  [{ intervalMs: NaN }, RangeError, /'intervalMs'/],
  [{ intervalMs: 2 ** 31 }, RangeError, /'intervalMs'/],
  [{ intervalMs: '1' }, TypeError, /'intervalMs'/],
  [{ rate: -5 }, RangeError, /'rate'/],
  [{ rate: Infinity }, RangeError, /'rate'/],
  [{ rate: true }, TypeError, /'rate'/],
  [{ producers: 0 }, RangeError, /'producers'/],
  [{ producers: 65 }, RangeError, /'producers'/],
  [{ producers: 1e9 }, RangeError, /'producers'/],
  [{ producers: 1.5 }, RangeError, /'producers'/],
  [{ producers: '2' }, TypeError, /'producers'/],
  [{ stamp: 1 }, TypeError, /'stamp'/],
  [{ stamp: 'yes' }, TypeError, /'stamp'/],
  [{ intervalMs: 1, rate: 1 }, TypeError, /'intervalMs' and 'rate'/],
  [{ cout: 5 }, TypeError, /'cout'/],
  [
    {
      get count() {
        throw new Error('getter failed');
      },
    },
    TypeError,
    /'count'.*getter failed/,
  ],
];

// turnBudget (common/turn-budget.js): taken by the chapters that drain a queue of their own,
// refused with a TypeError saying why by the others; tests/turn-budget.test.js checks what it does.
const TURN_BUDGET_INPUTS = [
  [{ turnBudget: 0 }, RangeError],
  [{ turnBudget: -1 }, RangeError],
  [{ turnBudget: 2.5 }, RangeError],
  [{ turnBudget: NaN }, RangeError],
  [{ turnBudget: 2 ** 53 }, RangeError],
  [{ turnBudget: '1000' }, TypeError],
  [{ turnBudget: null }, TypeError],
];

for (const target of conformanceTargets()) {
  const texample = require(target.modulePath);
  const name = target.name;
  const opts = (options) => ({ ...target.startOptions, ...options });

  describe(name, () => {
    after(() => texample.stop());

    for (const producers of [1, 3]) {
      it(`${name}: delivers 100000 unpaced items with ${producers} producer(s)`, async () => {
        const { items, stats } = await collect(texample, opts({ count: 100000, rate: 0, producers }));
        checkDelivery(target, items, stats, { count: 100000, producers, complete: true });
        assert.ok(stats.wakeups >= 1 && stats.wakeups <= stats.delivered, 'wakeups in 1…delivered');
        assert.ok(stats.maxItemsPerWakeup >= 1, 'maxItemsPerWakeup >= 1');
      });
    }

    it(`${name}: count 0 ends at once with nothing sent`, async () => {
      const { items, stats } = await collect(texample, opts({ count: 0, rate: 0 }));
      assert.equal(items.length, 0);
      assert.deepEqual([stats.sent, stats.delivered, stats.dropped], [0, 0, 0]);
    });

    it(`${name}: a paced stream delivers every item with 2 producers`, async () => {
      const { items, stats } = await collect(texample, opts({ count: 200, rate: 20000, producers: 2 }));
      checkDelivery(target, items, stats, { count: 200, producers: 2, complete: true });
    });

    it(`${name}: stop() before start() and twice in a row resolves`, async () => {
      await texample.stop();
      await Promise.all([texample.stop(), texample.stop()]);
    });

    it(`${name}: stop() mid-stream from the callback keeps sent === delivered + dropped`, async () => {
      const items = [];
      let stopped;
      texample.callback = (i) => {
        items.push(i);
        if (items.length === 10000) stopped = texample.stop();
      };
      const stats = await texample.start(opts({ rate: 0, producers: 2 }));
      const stopStats = await stopped;
      assert.deepEqual(stopStats, stats, 'stop() and start() settle with the same stats');
      assert.deepEqual(texample.stats(), stats, 'stats() after the end matches');
      checkDelivery(target, items, stats, { count: Infinity, producers: 2, complete: false });
      assert.ok(stats.sent >= 10000);
    });

    it(`${name}: stop() mid-stream from outside the callback, then restart`, async () => {
      const items = [];
      let reached;
      const thousand = new Promise((resolve) => (reached = resolve));
      texample.callback = (i) => {
        items.push(i);
        if (items.length === 1000) reached();
      };
      const done = texample.start(opts({ rate: 200000, producers: 3 }));
      await thousand;
      const stats = await texample.stop();
      assert.deepEqual(await done, stats);
      checkDelivery(target, items, stats, { count: Infinity, producers: 3, complete: false });

      const again = await collect(texample, opts({ count: 5000, producers: 2 , rate: 0 }));
      checkDelivery(target, again.items, again.stats, { count: 5000, producers: 2, complete: true });
    });

    it(`${name}: start() while a stream runs, or is stopping, throws`, async () => {
      texample.callback = () => {};
      const done = texample.start(opts({ intervalMs: 1 }));
      assert.throws(() => texample.start(opts({ count: 1 })), /already running/);
      const stopping = texample.stop();
      assert.throws(() => texample.start(opts({ count: 1 })), /already running/);
      await stopping;
      await done;
    });

    it(`${name}: bad options throw a TypeError or RangeError naming the option`, async () => {
      texample.callback = () => {};
      for (const [options, errorClass, message] of BAD_INPUTS) {
        assert.throws(() => texample.start(options), (error) => {
          assert.ok(error instanceof errorClass, `${error} for ${String(options)} is a ${errorClass.name}`);
          assert.match(error.message, message);
          return true;
        });
      }
      for (const callback of [undefined, null, 42, 'f', {}]) {
        texample.callback = callback;
        assert.throws(() => texample.start(opts({ count: 1 })), /callback must be a function/);
      }
      const { items, stats } = await collect(texample, opts({ count: 10, rate: 0 }));
      checkDelivery(target, items, stats, { count: 10, producers: 1, complete: true });
    });

    it(`${name}: turnBudget is checked like every option, or refused with the reason`, () => {
      texample.callback = () => {};
      const before = JSON.stringify(texample.stats());
      for (const [options, errorClass] of TURN_BUDGET_INPUTS) {
        assert.throws(() => texample.start(opts(options)), (error) => {
          // A chapter that takes no budget refuses every value, the valid ones too.
          const refused = error instanceof TypeError && /'turnBudget' does not apply here: ./.test(error.message);
          assert.ok(refused || error instanceof errorClass, `${error} for ${String(options.turnBudget)}`);
          assert.match(error.message, /^option 'turnBudget'/);
          return true;
        });
      }
      assert.equal(JSON.stringify(texample.stats()), before, 'nothing started');
    });

    it(`${name}: a replaced callback takes over, a removed one makes drops`, async () => {
      // The stream runs until drops are seen after the removal, so the test does not depend on
      // how the machine happens to group items into wake-ups.
      const first = [];
      const second = [];
      let droppedAtRemoval = null;
      const secondCallback = (i) => {
        second.push(i);
        if (droppedAtRemoval === null) {
          droppedAtRemoval = texample.stats().dropped;
          delete texample.callback;
        }
      };
      texample.callback = (i) => {
        first.push(i);
        if (i >= 99) texample.callback = secondCallback;
      };
      const done = texample.start(opts({ rate: 10000 }));
      await until(() => droppedAtRemoval !== null && texample.stats().dropped > droppedAtRemoval);
      const stats = await texample.stop();
      assert.deepEqual(await done, stats);
      assert.ok(first.length >= 1 && second.length >= 1, 'both callbacks ran');
      assert.ok(first.at(-1) >= 99, 'the replacement took effect after the first callback set it');
      assert.ok(first.at(-1) < second[0], 'the first callback saw only earlier items');
      assert.equal(first.length + second.length, stats.delivered);
      assert.equal(stats.sent, stats.delivered + stats.dropped);
      assert.ok(stats.dropped > droppedAtRemoval, 'items after the removal were dropped');
      if (target.semantics === 'every-item') {
        assert.deepEqual([...first, ...second], [...Array(stats.delivered).keys()]);
      }
    });

    it(`${name}: stamp gives the send time on process.hrtime.bigint()'s clock`, async () => {
      const before = Number(process.hrtime.bigint());
      const seen = [];
      texample.callback = (i, sentNs) => seen.push([i, sentNs, Number(process.hrtime.bigint())]);
      const stats = await texample.start(opts({ count: 500, rate: 50000, stamp: true }));
      assert.equal(seen.length, stats.delivered);
      let previous = before;
      for (const [, sentNs, seenNs] of seen) {
        assert.equal(typeof sentNs, 'number');
        assert.ok(sentNs >= previous, 'send times do not go backwards and follow start()');
        assert.ok(sentNs <= seenNs, 'sent before the callback saw it');
        previous = sentNs;
      }
    });

    it(`${name}: without stamp the callback gets exactly one argument`, async () => {
      const lengths = new Set();
      texample.callback = function () {
        lengths.add(arguments.length);
      };
      await texample.start(opts({ count: 50, rate: 0 }));
      assert.deepEqual([...lengths], [1]);
    });

    it(`${name}: seed-compatible: no options, first Bang after the original's 5 s`, async () => {
      const result = await runChild(target, 'seed', { until: (out) => out.includes('\n') });
      assert.equal(result.stdout, 'Bang: 0\n');
      assert.ok(result.killedByUs, 'still running after the first item');
    });

    it(`${name}: callback exceptions reach 'uncaughtException' and the stream goes on`, async () => {
      const result = await runChild(target, 'throw-handled');
      assert.equal(result.code, 0, result.stderr);
      const { caught, items, stats } = lastJsonLine(result.stdout);
      const thrown = items.filter((i) => i % 100 === 0).map((i) => `boom ${i}`);
      assert.deepEqual(caught, thrown);
      checkDelivery(target, items, stats, { count: 1000, producers: 1, complete: true });
    });

    it(`${name}: a thrown null reaches 'uncaughtException' too, and the stream goes on`, async () => {
      const result = await runChild(target, 'throw-null-handled');
      assert.equal(result.signal, null, 'not killed by the time-out');
      assert.equal(result.code, 0, result.stderr);
      const { caught, items, stats } = lastJsonLine(result.stdout);
      assert.deepEqual(caught, items.filter((i) => i % 100 === 50).map(() => null));
      checkDelivery(target, items, stats, { count: 1000, producers: 1, complete: true });
    });

    it(`${name}: an unhandled thrown null ends the process with code 1`, async () => {
      const result = await runChild(target, 'throw-null-unhandled');
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /null/);
    });

    it(`${name}: an unhandled callback exception ends the process with code 1`, async () => {
      const result = await runChild(target, 'throw-unhandled');
      assert.equal(result.code, 1);
      assert.match(result.stderr, /texample-boom/);
    });

    it(`${name}: a running stream keeps its process alive`, async () => {
      const result = await runChild(target, 'alive', { until: printedItemAtOrPast(100) });
      const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
      assert.ok(result.killedByUs, `the child ${how} before item 100: ${result.stderr}`);
    });

    for (const scenario of ['finish', 'stop']) {
      it(`${name}: a process whose stream ended (${scenario}) exits by itself`, async () => {
        const result = await runChild(target, scenario);
        assert.equal(result.signal, null, 'not killed by the time-out');
        assert.equal(result.code, 0, result.stderr);
        const { delivered, stats } = lastJsonLine(result.stdout);
        assert.equal(delivered, stats.delivered);
        assert.equal(stats.sent, stats.delivered + stats.dropped);
      });
    }

    for (const scenario of ['exit-in-callback', 'exit-in-timer']) {
      it(`${name}: process.exit() while producers run exits 0 (${scenario})`, async () => {
        const result = await runChild(target, scenario);
        assert.equal(result.signal, null, result.stderr);
        assert.equal(result.code, 0, result.stderr);
      });
    }

    for (const failAt of [1, 3]) {
      it(`${name}: producer thread ${failAt} of 4 cannot be created: start() fails, the next works`, async () => {
        const result = await runChild(target, 'thread-failure', { env: failThreadEnv(failAt) });
        assert.equal(result.signal, null, `not killed by the time-out: ${result.stderr}`);
        assert.equal(result.code, 0, result.stderr);
        const { error, failedStreamCalls, items, next } = lastJsonLine(result.stdout);
        assert.ok(error, 'start() threw or its promise rejected');
        assert.equal(error.name, 'Error');
        assert.match(error.message, /producer thread \d+ of 4.*Resource temporarily unavailable/);
        const { sent, delivered, dropped } = error.stats;
        assert.equal(sent, delivered + dropped, 'the failed stream: sent === delivered + dropped');
        assert.equal(failedStreamCalls, delivered, 'the failed stream: callback calls === delivered');
        if (failAt === 1) assert.equal(sent, 0, 'no producer started, nothing sent');
        checkDelivery(target, items, next, { count: 1000, producers: 2, complete: true });
      });
    }

    it(`${name}: loads in 3 worker_threads and the main thread at once`, async () => {
      const options = opts({ count: 100000, rate: 0, producers: 2 });
      const workers = [1, 2, 3].map(() => workerResult(runWorker(target, 'count', options)));
      const main = await collect(texample, options);
      checkDelivery(target, main.items, main.stats, { count: 100000, producers: 2, complete: true });
      for (const { code, message } of await Promise.all(workers)) {
        assert.equal(code, 0, 'the worker exited by itself');
        checkDelivery(target, message.items, message.stats, {
          count: 100000,
          producers: 2,
          complete: true,
        });
      }
    });

    it(`${name}: terminating a worker mid-stream neither crashes nor hangs (5 times)`, async () => {
      for (let round = 0; round < 5; round++) {
        const worker = runWorker(target, 'forever', opts({ producers: 2 }));
        const exited = workerResult(worker);
        await new Promise((resolve) => worker.once('message', resolve));
        await worker.terminate();
        const { code } = await exited;
        assert.equal(code, 1, 'terminate() gives exit code 1');
      }
      const { items, stats } = await collect(texample, opts({ count: 1000, rate: 0 }));
      checkDelivery(target, items, stats, { count: 1000, producers: 1, complete: true });
    });
  });
}
