'use strict';
// One contract case (docs/contract.md) against one chapter or variant, in a runtime-neutral form:
// no test runner, one process per case, one result line on stdout. make matrix runs it under Bun
// and Deno, whose test runners differ from node:test; under Node the conformance suite runs.
//   <runtime> matrix/case.js <target name, e.g. 04-tsfn/untyped> <case>
//   RESULT {"target":…,"case":…,"outcome":"pass"|"fail"|"refused","detail":…}
// The assertions are the suite's (tests/contract-checks.js and the same checks as
// tests/conformance.test.js); what a runtime does differently is declared once, in
// RUNTIME_SEMANTICS below, never by a weaker check.
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { conformanceTargets } = require('../common/chapters');
const { runtime } = require('../common/addon');
const { checkDelivery, printedItemAtOrPast } = require('../tests/contract-checks');

const CHILD = path.join(__dirname, '..', 'tests', 'fixtures', 'child.js');
const WORKER = path.join(__dirname, '..', 'tests', 'fixtures', 'worker.js');
const CHILD_TIMEOUT_MS = 60_000;

// How each runtime departs from Node where the contract allows it, in one place.
//   wakeups: 'counted' (Node's libuv counts loop iterations) or 'null' (stats() reports
//   wakeups and maxItemsPerWakeup as null: the runtime runs no libuv loop to ask).
const RUNTIME_SEMANTICS = {
  node: { wakeups: 'counted' },
  bun: { wakeups: 'null' },
  deno: { wakeups: 'null' },
};

// The command that runs a script under this runtime (Deno needs its flags before the script).
function scriptCommand(script) {
  const prefix = runtime().name === 'deno' ? ['run', '-A', '--unstable-detect-cjs'] : [];
  return [process.execPath, [...prefix, script]];
}

function checkWakeups(stats) {
  if (RUNTIME_SEMANTICS[runtime().name].wakeups === 'null') {
    assert.equal(stats.wakeups, null, 'wakeups is null where the runtime cannot count it');
    assert.equal(stats.maxItemsPerWakeup, null);
    return;
  }
  assert.ok(stats.wakeups >= 1 && stats.wakeups <= stats.delivered, 'wakeups in 1…delivered');
  assert.ok(stats.maxItemsPerWakeup >= 1, 'maxItemsPerWakeup >= 1');
}

async function collect(texample, options) {
  const items = [];
  texample.callback = (i) => items.push(i);
  const stats = await texample.start(options);
  return { items, stats };
}

async function until(condition) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function runChild(target, scenario, { until: stopWhen } = {}) {
  const [command, args] = scriptCommand(CHILD);
  args.push(target.modulePath, scenario, JSON.stringify(target.startOptions));
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killedByUs = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (stopWhen?.(stdout) && !killedByUs) {
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

const lastJsonLine = (stdout) => JSON.parse(stdout.trim().split('\n').at(-1));

function workerResult(worker) {
  return new Promise((resolve, reject) => {
    let message;
    worker.on('message', (m) => (message = m));
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ code, message }));
  });
}

const runWorker = (target, mode, options) =>
  new Worker(WORKER, { workerData: { modulePath: target.modulePath, mode, options } });

// The cases, named as in tests/conformance.test.js.
function cases(target, texample) {
  const opts = (options) => ({ ...target.startOptions, ...options });
  const deliver = (producers) => async () => {
    const { items, stats } = await collect(texample, opts({ count: 100000, rate: 0, producers }));
    checkDelivery(target, items, stats, { count: 100000, producers, complete: true });
    checkWakeups(stats);
  };
  return {
    'deliver-1': deliver(1),
    'deliver-3': deliver(3),
    async 'count-0'() {
      const { items, stats } = await collect(texample, opts({ count: 0, rate: 0 }));
      assert.equal(items.length, 0);
      assert.deepEqual([stats.sent, stats.delivered, stats.dropped], [0, 0, 0]);
    },
    async paced() {
      const { items, stats } = await collect(texample, opts({ count: 200, rate: 20000, producers: 2 }));
      checkDelivery(target, items, stats, { count: 200, producers: 2, complete: true });
    },
    async 'stop-before-start'() {
      await texample.stop();
      await Promise.all([texample.stop(), texample.stop()]);
    },
    async 'stop-in-callback'() {
      const items = [];
      let stopped;
      texample.callback = (i) => {
        items.push(i);
        if (items.length === 10000) stopped = texample.stop();
      };
      const stats = await texample.start(opts({ rate: 0, producers: 2 }));
      assert.deepEqual(await stopped, stats);
      assert.deepEqual(texample.stats(), stats);
      checkDelivery(target, items, stats, { count: Infinity, producers: 2, complete: false });
    },
    async 'stop-and-restart'() {
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
      const again = await collect(texample, opts({ count: 5000, producers: 2, rate: 0 }));
      checkDelivery(target, again.items, again.stats, { count: 5000, producers: 2, complete: true });
    },
    async 'start-while-running'() {
      texample.callback = () => {};
      const done = texample.start(opts({ intervalMs: 1 }));
      assert.throws(() => texample.start(opts({ count: 1 })), /already running/);
      const stopping = texample.stop();
      assert.throws(() => texample.start(opts({ count: 1 })), /already running/);
      await stopping;
      await done;
    },
    async 'bad-options'() {
      texample.callback = () => {};
      assert.throws(() => texample.start(null), TypeError);
      assert.throws(() => texample.start({ count: -1 }), RangeError);
      assert.throws(() => texample.start({ cout: 5 }), /'cout'/);
      texample.callback = 42;
      assert.throws(() => texample.start(opts({ count: 1 })), /callback must be a function/);
    },
    async 'replaced-callback'() {
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
      assert.ok(first.at(-1) >= 99 && first.at(-1) < second[0]);
      assert.equal(first.length + second.length, stats.delivered);
      assert.equal(stats.sent, stats.delivered + stats.dropped);
      if (target.semantics === 'every-item') {
        assert.deepEqual([...first, ...second], [...Array(stats.delivered).keys()]);
      }
    },
    async stamp() {
      const before = Number(process.hrtime.bigint());
      const seen = [];
      texample.callback = (i, sentNs) => seen.push([sentNs, Number(process.hrtime.bigint())]);
      const stats = await texample.start(opts({ count: 500, rate: 50000, stamp: true }));
      assert.equal(seen.length, stats.delivered);
      let previous = before;
      for (const [sentNs, seenNs] of seen) {
        assert.ok(sentNs >= previous, 'send times do not go backwards and follow start()');
        assert.ok(sentNs <= seenNs, 'sent before the callback saw it');
        previous = sentNs;
      }
    },
    async 'one-argument'() {
      const lengths = new Set();
      texample.callback = function () {
        lengths.add(arguments.length);
      };
      await texample.start(opts({ count: 50, rate: 0 }));
      assert.deepEqual([...lengths], [1]);
    },
    async 'throw-handled'() {
      const result = await runChild(target, 'throw-handled');
      assert.equal(result.code, 0, result.stderr);
      const { caught, items, stats } = lastJsonLine(result.stdout);
      assert.deepEqual(caught, items.filter((i) => i % 100 === 0).map((i) => `boom ${i}`));
      checkDelivery(target, items, stats, { count: 1000, producers: 1, complete: true });
    },
    async 'throw-null-handled'() {
      const result = await runChild(target, 'throw-null-handled');
      assert.equal(result.signal, null, 'not killed by the time-out');
      assert.equal(result.code, 0, result.stderr);
      const { caught, items, stats } = lastJsonLine(result.stdout);
      assert.deepEqual(caught, items.filter((i) => i % 100 === 50).map(() => null));
      checkDelivery(target, items, stats, { count: 1000, producers: 1, complete: true });
    },
    async 'throw-null-unhandled'() {
      const result = await runChild(target, 'throw-null-unhandled');
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /null/);
    },
    async 'throw-unhandled'() {
      const result = await runChild(target, 'throw-unhandled');
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /texample-boom/);
    },
    async alive() {
      const result = await runChild(target, 'alive', { until: printedItemAtOrPast(100) });
      const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
      assert.ok(result.killedByUs, `the child ${how} before item 100`);
    },
    ...Object.fromEntries(
      ['finish', 'stop'].map((scenario) => [
        `exits-after-${scenario}`,
        async () => {
          const result = await runChild(target, scenario);
          assert.equal(result.signal, null, 'not killed by the time-out');
          assert.equal(result.code, 0, result.stderr);
          const { delivered, stats } = lastJsonLine(result.stdout);
          assert.equal(delivered, stats.delivered);
          assert.equal(stats.sent, stats.delivered + stats.dropped);
        },
      ]),
    ),
    ...Object.fromEntries(
      ['exit-in-callback', 'exit-in-timer'].map((scenario) => [
        scenario,
        async () => {
          const result = await runChild(target, scenario);
          assert.equal(result.signal, null, result.stderr);
          assert.equal(result.code, 0, result.stderr);
        },
      ]),
    ),
    async workers() {
      const options = opts({ count: 100000, rate: 0, producers: 2 });
      const workers = [1, 2, 3].map(() => workerResult(runWorker(target, 'count', options)));
      const main = await collect(texample, options);
      checkDelivery(target, main.items, main.stats, { count: 100000, producers: 2, complete: true });
      for (const { code, message } of await Promise.all(workers)) {
        assert.equal(code, 0, 'the worker exited by itself');
        checkDelivery(target, message.items, message.stats, { count: 100000, producers: 2, complete: true });
      }
    },
    async 'terminate-worker'() {
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
    },
  };
}

const CASE_NAMES = Object.keys(cases({ startOptions: {} }, null));

async function main() {
  const [targetName, caseName] = process.argv.slice(2);
  if (targetName === '--list') {
    process.stdout.write(`${JSON.stringify(CASE_NAMES)}\n`);
    return;
  }
  const target = conformanceTargets().find((t) => t.name === targetName);
  const report = (outcome, detail) => {
    process.stdout.write(`RESULT ${JSON.stringify({ target: targetName, case: caseName, outcome, detail })}\n`);
  };
  if (!target) return report('fail', `no target ${targetName}`);
  let texample;
  try {
    texample = require(target.modulePath);
  } catch (error) {
    return report(error.code === 'TEXAMPLE_UNSUPPORTED_RUNTIME' ? 'refused' : 'fail', error.message);
  }
  try {
    await cases(target, texample)[caseName]();
    await texample.stop();
    report('pass');
  } catch (error) {
    report('fail', String(error.message).split('\n')[0]);
  }
  // A case's process exits by itself only if the chapter left nothing referenced; the contract
  // cases for that ("exits-after-…") run in children of their own, so this one may exit now.
  process.exit(0);
}

main();
