'use strict';
// Teardown faults against every chapter and variant the suite knows (common/chapters.js), each
// scenario in a process of its own (teardown-child.js says what each one does and checks):
//   stop() from inside the callback          TEARDOWN_STOP_ROUNDS      (default 100)
//   start/stop in a loop                     TEARDOWN_LOOP_ROUNDS      (default 1000)
//   a worker terminated at a random moment   TEARDOWN_WORKER_ROUNDS    (default 200)
//   process.exit() from a worker's callback  TEARDOWN_WORKER_EXITS     (default 20)
//   the callback replaced or deleted         TEARDOWN_SWAPS            (default 60)
//   GC pressure (--expose-gc, gc() in the callback)  TEARDOWN_GC_STREAMS (default 10)
//   process.exit() from the callback / a timer       TEARDOWN_EXITS   (default 6 processes each)
// None may crash, hang (a child is killed after TEARDOWN_TIMEOUT_S, default 300, and that is a
// failure), leak handles or threads, or lose items that were promised. TEARDOWN_SEED (default 1)
// seeds the random moments. Writes build/results/teardown.json.
const path = require('node:path');
const { conformanceTargets } = require('../../common/chapters');
const support = require('./lib/support');

const CHILD = path.join(__dirname, 'teardown-child.js');
const SEED = support.positiveIntegerFromEnv('TEARDOWN_SEED', 1);
const TIMEOUT_MS = support.positiveIntegerFromEnv('TEARDOWN_TIMEOUT_S', 300) * 1000;
const EXITS = support.positiveIntegerFromEnv('TEARDOWN_EXITS', 6);

// [scenario, rounds, node flags]
const SCENARIOS = [
  ['stop-in-callback', support.positiveIntegerFromEnv('TEARDOWN_STOP_ROUNDS', 100)],
  ['start-stop-loop', support.positiveIntegerFromEnv('TEARDOWN_LOOP_ROUNDS', 1000)],
  ['worker-terminate', support.positiveIntegerFromEnv('TEARDOWN_WORKER_ROUNDS', 200)],
  ['worker-exit-in-callback', support.positiveIntegerFromEnv('TEARDOWN_WORKER_EXITS', 20)],
  ['callback-swap', support.positiveIntegerFromEnv('TEARDOWN_SWAPS', 60)],
  ['gc-pressure', support.positiveIntegerFromEnv('TEARDOWN_GC_STREAMS', 10), ['--expose-gc']],
];
const EXIT_SCENARIOS = [
  ['exit-in-callback', 3],
  ['exit-in-timer', 0],
];

function job(target, scenario, rounds, seed) {
  return JSON.stringify({ target, scenario, rounds, seed });
}

async function runScenario(target, scenario, rounds, nodeArgs = []) {
  const seed = SEED;
  const result = await support.runNode([CHILD, job(target, scenario, rounds, seed)], {
    timeoutMs: TIMEOUT_MS,
    nodeArgs,
  });
  const report = support.lastJson(result.stdout);
  const failures = [];
  if (result.timedOut || result.signal || result.code !== 0 || !report) {
    failures.push(`${support.describeExit(result)}: ${result.stderr.trim().slice(-800)}`);
  }
  if (report) failures.push(...report.problems);
  return {
    target: target.name,
    scenario,
    faults: report?.faults ?? 0,
    streams: report?.streams ?? 0,
    violations: report?.violations ?? 0,
    leaked: report?.leaked ?? { resources: 0, threads: 0 },
    workerExitCodes: report?.workerExitCodes,
    terminateMoments: report?.terminateMoments,
    ms: result.ms,
    exit: support.describeExit(result),
    exitKinds: [support.exitKind(result)],
    failures,
  };
}

// `count` processes that end themselves with process.exit(expectedCode) from the callback or a
// timer, each at another moment (the seed picks it).
async function runExits(target, scenario, expectedCode) {
  const failures = [];
  let ms = 0;
  const exits = [];
  const exitKinds = [];
  for (let k = 0; k < EXITS; k++) {
    const result = await support.runNode([CHILD, job(target, scenario, 1, SEED + k)], {
      timeoutMs: TIMEOUT_MS,
    });
    ms += result.ms;
    exits.push(support.describeExit(result));
    exitKinds.push(support.exitKind(result, expectedCode));
    const announced = support.lastJson(result.stdout);
    if (result.timedOut || result.signal || result.code !== expectedCode || announced?.exiting !== expectedCode) {
      failures.push(`process ${k}: ${support.describeExit(result)}, not exit code ${expectedCode}: ${result.stderr.trim().slice(-500)}`);
    }
  }
  const worst = exits.find((e) => e !== `exit code ${expectedCode}`) ?? `exit code ${expectedCode}`;
  const leaked = { resources: 0, threads: 0 }; // the process is gone: nothing to leak into
  return { target: target.name, scenario, faults: EXITS, streams: EXITS, violations: 0, leaked, ms, exit: worst, exits, exitKinds, failures };
}

async function main() {
  const runs = [];
  for (const target of conformanceTargets()) {
    for (const [scenario, rounds, nodeArgs] of SCENARIOS) {
      runs.push(await runScenario(target, scenario, rounds, nodeArgs));
      report(runs.at(-1));
    }
    for (const [scenario, code] of EXIT_SCENARIOS) {
      runs.push(await runExits(target, scenario, code));
      report(runs.at(-1));
    }
  }
  const scenarios = [...SCENARIOS.map(([s]) => s), ...EXIT_SCENARIOS.map(([s]) => s)];
  const targets = [...new Set(runs.map((r) => r.target))];
  console.log('\nfaults injected (a failed cell says FAILED)');
  support.printTable(
    ['target', ...scenarios],
    targets.map((t) => [
      t,
      ...scenarios.map((s) => {
        const run = runs.find((r) => r.target === t && r.scenario === s);
        return run.failures.length === 0 ? run.faults : 'FAILED';
      }),
    ]),
  );
  const failed = runs.filter((r) => r.failures.length > 0);
  const sum = (pick) => runs.reduce((total, r) => total + pick(r), 0);
  const processes = (kind) => sum((r) => r.exitKinds.filter((k) => k === kind).length);
  const file = support.writeResult('teardown', {
    seed: SEED,
    rounds: Object.fromEntries([...SCENARIOS.map(([s, n]) => [s, n]), ...EXIT_SCENARIOS.map(([s]) => [s, EXITS])]),
    runs,
    faultsInjected: sum((r) => r.faults),
    streams: sum((r) => r.streams),
    processes: sum((r) => r.exitKinds.length),
    crashes: processes('crash'),
    hangs: processes('hang'),
    leakedResources: sum((r) => r.leaked.resources),
    leakedThreads: sum((r) => r.leaked.threads),
    violations: sum((r) => r.violations),
    failed: failed.length,
  }, { sizePrefixes: ['TEARDOWN_'] });
  support.finish(`${runs.length} scenario runs, ${failed.length} failed`, failed.length, file);
}

function report(run) {
  const status = run.failures.length === 0 ? `ok (${run.faults} faults, ${run.ms} ms)` : `FAILED: ${run.failures.join('; ')}`;
  console.log(`teardown ${run.target} ${run.scenario}: ${status}`);
}

main();
