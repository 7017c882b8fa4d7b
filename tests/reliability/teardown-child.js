'use strict';
// One teardown fault scenario against one target, in a process of its own (teardown.js runs it
// with a time-out, so a hang is a failure and a crash cannot take the run down).
//   node [--expose-gc] tests/reliability/teardown-child.js '<{ target, scenario, rounds, seed }>'
// Every scenario injects `rounds` faults, checks each stream it ran (lib/delivery.js), then checks
// that the process is back where it started: the same active handles and requests
// (process.getActiveResourcesInfo()) and the same number of threads (/proc/self/task) as after a
// warm-up stream, and that a last stream still delivers every item. Prints one JSON line:
// { faults, streams, violations, leaked: { resources, threads }, problems }. Exit scenarios print a line, then end the process from the
// callback; teardown.js checks their exit code.
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { DeliveryChecker } = require('./lib/delivery');
const support = require('./lib/support');

const { target, scenario, rounds, seed } = JSON.parse(process.argv[2]);
const texample = require(target.modulePath);
const WORKER = path.join(__dirname, 'teardown-worker.js');
const problems = [];
const extra = {}; // scenario-specific figures for the report
let streams = 0;
let violations = 0; // delivery problems found by the checkers: lost, duplicated, reordered items
const leaked = { resources: 0, threads: 0 }; // more than the baseline held, at each check

const options = (extra) => ({ ...target.startOptions, ...extra });
const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function print(value) {
  fs.writeSync(1, JSON.stringify(value) + '\n');
}

function problem(text) {
  if (problems.length < 20) problems.push(text);
}

// Checks a settled stream. `stopped`: stop() was called, so it need not have run to its count.
function checkStream(label, checker, stats, { stopped }) {
  streams++;
  const { violations: count, problems: found } = checker.finish(stats, { complete: !stopped });
  violations += count;
  for (const text of found) problem(`${label}: ${text}`);
}

// A stream of `count` items that must all arrive (or what the semantics allow).
async function completeStream(label, extra = {}) {
  const producers = extra.producers ?? 2;
  const count = extra.count ?? 1000;
  const checker = new DeliveryChecker(target, { producers, count });
  texample.callback = (i) => checker.see(i);
  const stats = await texample.start(options({ rate: 0, producers, count, ...extra }));
  checkStream(label, checker, stats, { stopped: false });
}

function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// What the process holds once a first stream has come and gone: the libuv threadpool and
// anything else a chapter starts once per process are there from then on.
async function baseline() {
  void process.stdout; // created on first use (a worker's output is forwarded through them), and
  void process.stderr; // then active for good: create them before the baseline is taken
  await completeStream('warm-up');
  await tick();
  return { resources: support.activeResources(), threads: support.threadCount() };
}

// A thread that was joined can still be listed for a moment: pthread_join returns once the kernel
// has cleared the thread's id, a little before it removes the thread from /proc/self/task. So a
// count above the baseline is read again, up to 200 times 5 ms apart; a thread that really leaked
// is still there after that, and fails the check.
async function settledThreadCount(base) {
  let threads = support.threadCount();
  for (let reread = 0; threads > base.threads && reread < 200; reread++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    threads = support.threadCount();
  }
  return threads;
}

async function checkBackToBaseline(base, when) {
  await tick();
  const resources = support.activeResources();
  const threads = await settledThreadCount(base);
  if (!sameList(resources, base.resources)) {
    leaked.resources += Math.max(0, extraEntries(resources, base.resources));
    problem(`${when}: active resources [${resources}] where [${base.resources}] were before`);
  }
  if (threads !== base.threads) {
    leaked.threads += Math.max(0, threads - base.threads);
    problem(`${when}: ${threads} threads where ${base.threads} were before`);
  }
}

// How many entries of `now` are not matched by one of `before` (both are lists of type names).
function extraEntries(now, before) {
  const left = [...before];
  let extraCount = 0;
  for (const entry of now) {
    const index = left.indexOf(entry);
    if (index === -1) extraCount++;
    else left.splice(index, 1);
  }
  return extraCount;
}

const STOP_AT = [1, 2, 3, 10, 100, 1000, 10000];

const scenarios = {
  // stop() from inside the callback, at item 1 … 10000, with 1 and 2 producers; sometimes twice.
  async 'stop-in-callback'(base) {
    for (let round = 0; round < rounds; round++) {
      const producers = 1 + (round % 2);
      const stopAt = STOP_AT[round % STOP_AT.length];
      const checker = new DeliveryChecker(target, { producers });
      let stopped = null;
      let seen = 0;
      texample.callback = (i) => {
        checker.see(i);
        if (++seen !== stopAt) return;
        stopped = texample.stop();
        if (round % 3 === 0) texample.stop(); // idempotent
      };
      const stats = await texample.start(options({ rate: 0, producers }));
      if (!stopped) problem(`round ${round}: the stream ended without reaching item ${stopAt}`);
      else if (JSON.stringify(await stopped) !== JSON.stringify(stats)) {
        problem(`round ${round}: stop() and start() settled with different stats`);
      }
      checkStream(`round ${round} (stop at ${stopAt})`, checker, stats, { stopped: true });
    }
    await checkBackToBaseline(base, `after ${rounds} stops from the callback`);
    return rounds;
  },

  // start() then stop(), `rounds` times: stopped synchronously, after a turn of the loop, after a
  // microtask, racing a stream's natural end, or with producers asleep.
  async 'start-stop-loop'(base) {
    for (let round = 0; round < rounds; round++) {
      const variant = round % 5;
      const producers = 1 + (round % 2);
      const extra = [
        { rate: 0 },
        { rate: 0 },
        { rate: 0 },
        { rate: 0, count: 1 + (round % 20) },
        { intervalMs: 1000 },
      ][variant];
      const checker = new DeliveryChecker(target, { producers, count: extra.count });
      texample.callback = (i) => checker.see(i);
      const done = texample.start(options({ producers, ...extra }));
      if (variant === 1) await tick();
      if (variant === 2 || variant === 3) await null;
      const stopStats = await texample.stop();
      const stats = await done;
      if (JSON.stringify(stopStats) !== JSON.stringify(stats)) {
        problem(`round ${round}: stop() and start() settled with different stats`);
      }
      checkStream(`round ${round} (variant ${variant})`, checker, stats, { stopped: true });
    }
    await checkBackToBaseline(base, `after ${rounds} start/stop rounds`);
    return rounds;
  },

  // `rounds` workers, each terminated at a random moment: a quarter of them 0–40 ms after being
  // created (while Node boots it or the addon loads), the rest 0–20 ms after the worker said its
  // first stream was running (mid-stream, mid-stop, mid-start). The main thread streams meanwhile.
  async 'worker-terminate'(base) {
    const random = support.seededRandom(seed);
    const modes = ['flat-out', 'sleeping', 'start-stop', 'stop-in-callback'];
    const checker = new DeliveryChecker(target, { producers: 2 });
    texample.callback = (i) => checker.see(i);
    const mainStream = texample.start(options({ producers: 2, rate: 20000 }));
    const exitCodes = {};
    const moments = { 'while starting': 0, 'while streaming': 0 };
    for (let round = 0; round < rounds; round++) {
      const mode = modes[Math.floor(random() * modes.length)];
      const early = random() < 0.25;
      const delayMs = Math.floor(random() * (early ? 41 : 21));
      const worker = new Worker(WORKER, {
        workerData: { modulePath: target.modulePath, startOptions: target.startOptions, mode },
      });
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.on('error', (error) => problem(`round ${round} (${mode}): worker error ${error}`));
      if (!early) await Promise.race([new Promise((resolve) => worker.once('message', resolve)), exited]);
      moments[early ? 'while starting' : 'while streaming']++;
      await sleep(delayMs);
      await worker.terminate();
      const code = await exited;
      exitCodes[code] = (exitCodes[code] ?? 0) + 1;
      // 1 when terminate() stopped running JS, 0 when it found the worker idle or still starting.
      if (code !== 0 && code !== 1) problem(`round ${round} (${mode}, ${delayMs} ms): exit code ${code}`);
    }
    const stats = await texample.stop();
    await mainStream;
    checkStream('the main thread stream', checker, stats, { stopped: true });
    await checkBackToBaseline(base, `after ${rounds} workers terminated`);
    extra.workerExitCodes = exitCodes;
    extra.terminateMoments = moments;
    return rounds;
  },

  // process.exit() from a worker's callback ends that worker only, with its code; `rounds` times,
  // while the main thread streams.
  async 'worker-exit-in-callback'(base) {
    const checker = new DeliveryChecker(target, { producers: 2 });
    texample.callback = (i) => checker.see(i);
    const mainStream = texample.start(options({ producers: 2, rate: 20000 }));
    for (let round = 0; round < rounds; round++) {
      const worker = new Worker(WORKER, {
        workerData: { modulePath: target.modulePath, startOptions: target.startOptions, mode: 'exit' },
      });
      worker.on('error', (error) => problem(`round ${round}: worker error ${error}`));
      const code = await new Promise((resolve) => worker.once('exit', resolve));
      if (code !== 7) problem(`round ${round}: the worker ended with code ${code}, not 7`);
    }
    const stats = await texample.stop();
    await mainStream;
    checkStream('the main thread stream', checker, stats, { stopped: true });
    await checkBackToBaseline(base, `after ${rounds} workers exited from their callback`);
    return rounds;
  },

  // The callback replaced, deleted, made a non-function, a getter, a getter that throws, while
  // items flow: every 500th call changes it, `rounds` changes in all, then the stream is stopped.
  // A removed callback is put back from outside (setImmediate), since it will not be called again
  // to do it. Every item is delivered at most once, in order, and each call is counted once.
  async 'callback-swap'(base) {
    const producers = 2;
    const checker = new DeliveryChecker(target, { producers, allowGaps: true });
    const thrown = [];
    const onUncaught = (error) => thrown.push(error.message);
    process.on('uncaughtException', onUncaught);
    let changes = 0;
    let restores = 0;
    let removals = 0;
    let calls = 0;
    let stopped = null;
    const install = (fn) => {
      delete texample.callback;
      texample.callback = fn;
    };
    const restoreLater = () => {
      removals++;
      setImmediate(() => {
        restores++;
        install(second);
      });
    };
    const actions = [
      () => install(second), // another function
      () => install(first), // back to the first
      () => {
        delete texample.callback;
        restoreLater();
      },
      () => {
        texample.callback = 42;
        restoreLater();
      },
      () =>
        Object.defineProperty(texample, 'callback', {
          configurable: true,
          enumerable: true,
          get: () => second,
        }),
      () => {
        Object.defineProperty(texample, 'callback', {
          configurable: true,
          enumerable: true,
          get() {
            throw new Error('callback-getter-boom');
          },
        });
        restoreLater();
      },
    ];
    function act() {
      if (++calls % 500 !== 0) return;
      if (changes < rounds) actions[changes++ % actions.length]();
      else stopped ??= texample.stop();
    }
    function first(i) {
      checker.see(i);
      act();
    }
    function second(i) {
      checker.see(i);
      act();
    }
    install(first);
    const stats = await texample.start(options({ producers, rate: 0 }));
    await tick();
    process.off('uncaughtException', onUncaught);
    checkStream('swapped stream', checker, stats, { stopped: true });
    if (!stopped) problem('the stream ended before stop()');
    if (changes !== rounds) problem(`${changes} changes made, not ${rounds}`);
    if (restores !== removals) problem(`${removals} removals but ${restores} restores`);
    const strange = thrown.filter((message) => message !== 'callback-getter-boom');
    if (strange.length) problem(`unexpected uncaught exceptions: ${strange.slice(0, 3)}`);
    install(undefined);
    await checkBackToBaseline(base, 'after the callback swaps');
    return changes;
  },

  // GC pressure: gc() at every 100th call inside the callback and every millisecond from a
  // timer, garbage allocated at every call, the callback replaced by a fresh closure at every
  // 1000th call, gc() between streams; `rounds` streams of 20 000 items.
  async 'gc-pressure'(base) {
    if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
    let collections = 0;
    const collect = () => {
      globalThis.gc();
      collections++;
    };
    for (let round = 0; round < rounds; round++) {
      const producers = 1 + (round % 2);
      const count = 20000;
      const checker = new DeliveryChecker(target, { producers, count });
      let calls = 0;
      let garbage = null;
      const make = () => (i) => {
        checker.see(i);
        garbage = { i, list: new Array(16).fill(i), text: `item ${i}` };
        if (++calls % 100 === 0) collect();
        if (calls % 1000 === 0) texample.callback = make();
      };
      texample.callback = make();
      const timer = setInterval(collect, 1);
      const stats = await texample.start(options({ producers, count, rate: 0 }));
      clearInterval(timer);
      checkStream(`gc round ${round}`, checker, stats, { stopped: false });
      collect();
      void garbage;
    }
    await checkBackToBaseline(base, `after ${rounds} streams under GC pressure`);
    return collections;
  },

  // process.exit(code) from the callback, while producers run flat out (and, for a bounded
  // blocking queue, while one of them waits for room). The process must end with that code.
  async 'exit-in-callback'() {
    const code = 3;
    let seen = 0;
    const exitAt = [1, 1000, 50000][seed % 3];
    texample.callback = () => {
      if (++seen !== exitAt) return;
      print({ exiting: code, at: exitAt });
      process.exit(code);
    };
    texample.start(options({ producers: 2, rate: 0 }));
    return null; // never settles: the process exits from the callback
  },

  // process.exit() from a timer while the callback is busy and producers run.
  async 'exit-in-timer'() {
    texample.callback = () => {};
    texample.start(options({ producers: 2, rate: 0 }));
    await sleep(seed % 20);
    print({ exiting: 0 });
    process.exit(0);
  },
};

async function main() {
  if (!Object.hasOwn(scenarios, scenario)) throw new Error(`unknown scenario ${scenario}`);
  const exits = scenario.startsWith('exit-');
  const base = exits ? null : await baseline();
  const faults = await scenarios[scenario](base);
  if (exits) return;
  await completeStream('the last stream', { count: 5000 });
  texample.callback = undefined;
  print({ faults, streams, violations, leaked, problems, ...extra });
}

main().catch((error) => {
  print({ faults: 0, streams, violations, leaked, problems: [`threw: ${error?.stack ?? error}`] });
  process.exitCode = 1;
});
