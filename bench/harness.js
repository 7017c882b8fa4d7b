'use strict';
// The benchmark harness: measures every chapter and variant that exists (common/chapters.js),
// the JS-only alternatives and the floors, each measurement in a fresh child process, one at a
// time, and writes the raw results to bench/results/latest.json.
//   node bench/harness.js            quick size (REPORT_SIZE=full for the long run)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { chapterTargets } = require('../common/chapters');
const { collectEnvironment } = require('./environment');
const { rateLabel: rateName } = require('./charts');

const RUN_ONE = path.join(__dirname, 'run-one.js');
const RESULTS = path.join(__dirname, 'results', 'latest.json');
const NATIVE_FLOORS = path.join(__dirname, 'native', 'build', 'floors');

const SIZES = {
  quick: {
    repeats: 3, // for the short unpaced runs and the floors; 1 for paced runs
    sweep: [[1e3, 2000], [1e4, 5000], [1e5, 50000], [1e6, 300000], [0, 1000000]], // [rate, items]
    unpacedItems: 1000000,
    busyItems: 200000,
    batchItems: 20000000, // batch callbacks only: items are cheap there, so more of them
    floorCalls: 3000000,
    pingPongs: 20000,
    sleeperMs: 2000,
  },
  full: {
    repeats: 5,
    sweep: [[1e3, 5000], [1e4, 50000], [1e5, 500000], [1e6, 3000000], [0, 5000000]],
    unpacedItems: 5000000,
    busyItems: 1000000,
    batchItems: 100000000,
    floorCalls: 10000000,
    pingPongs: 100000,
    sleeperMs: 10000,
  },
};

const BUSY_WORK = 2000; // iterations of integer work per item in the busy-main-thread scenario
const BUSY_RATE = 1e6; // offered items/s in that scenario

const ALTERNATIVES = [
  { name: 'postMessage per item', alternative: 'postmessage-item' },
  { name: 'postMessage per batch', alternative: 'postmessage-batch' },
  { name: 'SharedArrayBuffer ring', alternative: 'sab-ring' },
];

function targets() {
  // A variant's "bench" declaration (common/chapters.js) may skip it or measure it another way.
  const chapters = chapterTargets({ includeExcluded: true })
    .filter((t) => t.bench !== false)
    .map(({ bench, ...t }) => ({
      ...t,
      kind: 'chapter',
      modulePath: bench.modulePath ?? t.modulePath,
      startOptions: bench.startOptions ?? t.startOptions,
      callback: bench.callback ?? 'per-item',
    }));
  const alternatives = ALTERNATIVES.map((a) => ({ ...a, kind: 'alternative', semantics: 'every-item', api: 'js', callback: 'per-item' }));
  return [...chapters, ...alternatives];
}

function streamJob(target, scenario, options, extra = {}) {
  const { name, modulePath, alternative, semantics, startOptions, callback } = target;
  return {
    kind: 'stream',
    scenario,
    targetName: name,
    target: { modulePath, alternative, semantics, startOptions, callback },
    options,
    latency: false,
    ...extra,
  };
}

// The whole plan, in the order it runs.
function plan(size) {
  const s = SIZES[size];
  const jobs = [
    { kind: 'sleeper', scenario: 'noise', durationMs: s.sleeperMs, intervalMs: 1 },
    ...['node-api', 'v8'].flatMap((api) =>
      [1, 1000].map((callsPerScope) => ({
        kind: 'js-call-floor',
        scenario: 'floor',
        api,
        calls: s.floorCalls,
        callsPerScope,
        repeats: s.repeats,
      })),
    ),
    { kind: 'uv-ping-pong', scenario: 'floor', roundTrips: s.pingPongs, repeats: s.repeats },
  ];
  for (const target of targets()) {
    const latencyItems = s.sweep.find(([rate]) => rate === 1000)[1];
    jobs.push(streamJob(target, 'latency', { count: latencyItems, rate: 1000 }, { latency: true }));
    for (const [rate, count] of s.sweep) {
      if (rate === 1000) continue; // the latency run is the sweep's 1k/s point
      jobs.push(streamJob(target, 'sweep', { count, rate }, { latency: true }));
    }
    for (const producers of [1, 2].filter((p) => p <= (target.maxProducers ?? 64))) {
      const options = { count: s.unpacedItems, rate: 0, producers };
      jobs.push(streamJob(target, 'unpaced', options, { repeats: s.repeats }));
    }
    if (target.callback === 'batch') {
      // The batch callback in its lightest form, as the floor's callback is: it adds every value.
      const options = { count: s.batchItems, rate: 0 };
      jobs.push(streamJob(target, 'batch-sum', options, { repeats: s.repeats, checks: 'sum' }));
    }
    const busy = { count: s.busyItems, rate: BUSY_RATE };
    jobs.push(streamJob(target, 'busy', busy, { latency: true, busyWork: BUSY_WORK }));
  }
  return jobs;
}

function runChild(job) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUN_ONE, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
      } catch {
        resolve({ error: `exit ${code ?? signal}: ${stderr.trim().slice(-2000)}` });
      }
    });
  });
}

function describe(job) {
  if (job.kind !== 'stream') return `${job.kind}${job.api ? ` ${job.api}, scope per ${job.callsPerScope}` : ''}`;
  const producers = job.options.producers > 1 ? `, ${job.options.producers} producers` : '';
  const stamps = job.latency ? ', stamped' : '';
  return `${job.targetName} · ${job.scenario}, ${rateName(job.options.rate)}${producers}${stamps}`;
}

async function runJobs(jobs) {
  const results = [];
  const started = Date.now();
  for (const [index, job] of jobs.entries()) {
    const runs = [];
    for (let r = 0; r < (job.repeats ?? 1); r++) runs.push(await runChild(job));
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const failed = runs.find((run) => run.error || run.problems?.length);
    const mark = failed ? `  ! ${failed.error ?? failed.problems.join('; ')}` : '';
    process.stderr.write(`[${String(index + 1).padStart(3)}/${jobs.length}] ${seconds.padStart(4)} s  ${describe(job)}${mark}\n`);
    results.push({ job, runs });
  }
  return results;
}

function runNativeFloors() {
  if (!fs.existsSync(NATIVE_FLOORS)) return { error: `${NATIVE_FLOORS} is not built` };
  const out = path.join(os.tmpdir(), `floors-${process.pid}.json`);
  process.stderr.write('native floors (Google Benchmark) …\n');
  try {
    execFileSync(NATIVE_FLOORS, [`--benchmark_out=${out}`, '--benchmark_out_format=json'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, FLOORS_FULL: process.env.REPORT_SIZE === 'full' ? '1' : '' },
    });
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch (error) {
    return { error: String(error.message) };
  } finally {
    fs.rmSync(out, { force: true });
  }
}

async function main() {
  const size = process.env.REPORT_SIZE === 'full' ? 'full' : 'quick';
  const jobs = plan(size);
  process.stderr.write(`wakeup-cookbook harness: ${jobs.length} measurements, size ${size}\n`);
  const loadAtStart = os.loadavg().map((l) => +l.toFixed(2));
  const [load] = loadAtStart;
  if (load > 0.5) {
    process.stderr.write(`warning: load average ${load.toFixed(2)}: other work on this machine will skew the figures\n`);
  }
  const started = new Date();
  const nativeFloors = runNativeFloors();
  const results = await runJobs(jobs);
  const report = {
    size,
    sizes: SIZES[size],
    busyWork: BUSY_WORK,
    busyRate: BUSY_RATE,
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    environment: { ...collectEnvironment(), loadAverageAtStart: loadAtStart },
    targets: targets().map(({ name, kind, semantics, onStop, excluded, api, callback }) => ({ name, kind, semantics, onStop, excluded, api, callback })),
    results,
    nativeFloors,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify(report, null, 1));
  process.stderr.write(`wrote ${path.relative(process.cwd(), RESULTS)} in ${report.durationS.toFixed(0)} s\n`);
}

if (require.main === module) main();

module.exports = { plan, SIZES };
