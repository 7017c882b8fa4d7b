'use strict';
// The benchmark harness: measures every chapter and variant that exists (common/chapters.js),
// the JS-only alternatives and the floors, each measurement in a fresh child process, one at a
// time, and writes the raw results to bench/results/latest.json.
//   node bench/harness.js            quick size (REPORT_SIZE=full for the long run, smoke to check
//                                    the harness end to end in a minute; CHAPTERS=04 narrows)
//   node bench/harness.js --plan     prints the planned job count and duration, runs nothing
// Every target and floor runs in rounds (round-robin), each run a fresh process: see SIZES.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { chapterTargets } = require('../common/chapters');
const { collectEnvironment } = require('./environment');
const { rateLabel: rateName } = require('./charts');
const { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } = require('./analysis');

const RUN_ONE = path.join(__dirname, 'run-one.js');
const RESULTS = process.env.RESULTS ?? path.join(__dirname, 'results', 'latest.json'); // RESULTS=file: elsewhere
const NATIVE_FLOORS = path.join(__dirname, 'native', 'build', 'floors');

// rounds: every series of a group runs once per round, round-robin over targets and floors, so
// that a floor and the targets divided by it are measured side by side, each in fresh processes.
const SIZES = {
  smoke: {
    // For checking the harness end to end in a minute: figures meaningless.
    rounds: 2, // throughput: targets unpaced with one producer, batch-sum, every throughput floor
    latencyRounds: 2, // 1 000 items/s latency runs and the latency floors (5 or more: quick, full)
    producerRounds: 1, // 2, 4 and 8 producers
    sweep: [[1e4, 500], [1e5, 5000], [0, 20000]], // [rate, items]; 1k/s is the latency group's
    latencyItems: 100,
    unpacedItems: 50000,
    producerItems: 20000,
    busyItems: 5000,
    batchItems: 500000,
    sumEachItems: 500000,
    floorCalls: 200000,
    loopItems: 500000,
    pingPongs: 500,
    sleeperMs: 200,
  },
  quick: {
    rounds: 5,
    latencyRounds: 5,
    producerRounds: 3,
    sweep: [[1e4, 3000], [1e5, 30000], [1e6, 200000], [0, 500000]],
    latencyItems: 400,
    unpacedItems: 500000,
    producerItems: 150000,
    busyItems: 100000,
    batchItems: 60000000,
    sumEachItems: 20000000,
    floorCalls: 2000000,
    loopItems: 5000000,
    pingPongs: 5000,
    sleeperMs: 1000,
  },
  full: {
    rounds: 9,
    latencyRounds: 7,
    producerRounds: 5,
    sweep: [[1e4, 50000], [1e5, 500000], [1e6, 3000000], [0, 5000000]],
    latencyItems: 5000,
    unpacedItems: 5000000,
    producerItems: 2000000,
    busyItems: 1000000,
    batchItems: 200000000,
    sumEachItems: 100000000,
    floorCalls: 10000000,
    loopItems: 50000000,
    pingPongs: 100000,
    sleeperMs: 5000,
  },
};

const BUSY_WORK = 2000; // iterations of integer work per item in the busy-main-thread scenario
const BUSY_RATE = 1e6; // offered items/s in that scenario
const PRODUCERS = [1, 2, 4, 8];
const LOOP_BATCH = 65536; // the JS-loop floor's batch: chapter 5's ring size

const ALTERNATIVES = [
  { name: 'postMessage per item', alternative: 'postmessage-item' },
  { name: 'postMessage per batch', alternative: 'postmessage-batch' },
  { name: 'SharedArrayBuffer ring', alternative: 'sab-ring' },
];

// The native floors run interleaved, each in a fresh process (bench/run-one.js runs the binary):
// the ring floor bounds batch mode; the paced eventfd floors bound idle latency, with the threads
// on two CPUs, on one, and where the scheduler puts them (as a chapter's threads run).
const NATIVE_SERIES = {
  ring: 'BM_Ring_ProducerConsumer/ring_size:65536/look_us:10',
  eventfdCrossCpu: 'BM_Eventfd_PacedLatency/period_us:1000/cpus:0/sender_spins:0',
  eventfdSameCpu: 'BM_Eventfd_PacedLatency/period_us:1000/cpus:1/sender_spins:0',
  eventfdUnpinned: 'BM_Eventfd_PacedLatency/period_us:1000/cpus:2/sender_spins:0',
};

function targets() {
  // A variant's "bench" declaration (common/chapters.js) may skip it or measure it another way.
  const chapters = chapterTargets({ includeExcluded: true })
    .filter((t) => t.bench !== false)
    .flatMap(({ bench, ...t }) => {
      const measured = {
        ...t,
        kind: 'chapter',
        modulePath: bench.modulePath ?? t.modulePath,
        startOptions: bench.startOptions ?? t.startOptions,
        callback: bench.callback ?? 'per-item',
      };
      if (measured.callback !== 'batch' || measured.modulePath === t.modulePath) return [measured];
      // A batch variant whose own module hands each item to a per-item callback (chapter 5's
      // batch.js) is also measured as that module: the trampoline, per-item callbacks at batch
      // speed.
      const trampoline = { ...t, kind: 'chapter', name: `${t.name.split('/')[0]}/trampoline`, technique: 'trampoline', callback: 'per-item' };
      return [measured, trampoline];
    });
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

// The series of one size, in groups; each series runs `repeats` times. A series is one job
// description; every run of it is a fresh process.
function series(size) {
  const s = SIZES[size];
  const all = targets();
  const throughput = [
    ...['node-api', 'v8'].flatMap((api) =>
      [1000, 1].map((callsPerScope) => ({ kind: 'js-call-floor', scenario: 'floor', api, calls: s.floorCalls, callsPerScope })),
    ),
    ...['checks', 'sum'].map((callback) => ({ kind: 'js-loop-floor', scenario: 'floor', items: s.loopItems, batch: LOOP_BATCH, callback })),
    { kind: 'native-floor', scenario: 'floor', floor: 'ring', filter: NATIVE_SERIES.ring },
    { kind: 'uv-ping-pong', scenario: 'floor', roundTrips: s.pingPongs },
  ];
  const latency = [
    ...['eventfdCrossCpu', 'eventfdSameCpu', 'eventfdUnpinned'].map((floor) => ({ kind: 'native-floor', scenario: 'floor', floor, filter: NATIVE_SERIES[floor] })),
    { kind: 'sleeper', scenario: 'noise', durationMs: s.sleeperMs, intervalMs: 1 },
  ];
  const producers = [];
  const once = [];
  for (const target of all) {
    // The trampoline is held to the JS-loop floor, so it delivers as many items as that floor's
    // loop; so does a batch callback, which runs the same loop over each batch.
    const loops = target.technique === 'trampoline' || target.callback === 'batch';
    const unpacedCount = loops ? s.loopItems : s.unpacedItems;
    throughput.push(streamJob(target, 'unpaced', { count: unpacedCount, rate: 0, producers: 1 }));
    if (target.technique === 'trampoline') {
      // The per-item callback in the JS-call floor's own form, adding each value: the trampoline
      // divided by that floor with the same callback on both sides.
      throughput.push(streamJob(target, 'sum-each', { count: s.sumEachItems, rate: 0 }, { checks: 'sum-each' }));
    }
    if (target.callback === 'batch') {
      // The batch callback in its lightest form, as the floor's callback is: it adds every value.
      throughput.push(streamJob(target, 'batch-sum', { count: s.batchItems, rate: 0 }, { checks: 'sum' }));
    }
    latency.push(streamJob(target, 'latency', { count: s.latencyItems, rate: 1000 }, { latency: true, keepSamples: true }));
    // 2, 4 and 8 producers for the chapters; the alternatives' producers are workers: 2.
    const counts = target.kind === 'chapter' ? PRODUCERS.slice(1) : [2];
    for (const p of counts.filter((p) => p <= (target.maxProducers ?? 64))) {
      producers.push(streamJob(target, 'unpaced', { count: s.producerItems, rate: 0, producers: p }));
    }
    for (const [rate, count] of s.sweep) once.push(streamJob(target, 'sweep', { count, rate }, { latency: true }));
    once.push(streamJob(target, 'busy', { count: s.busyItems, rate: BUSY_RATE }, { latency: true, busyWork: BUSY_WORK }));
  }
  return [
    { group: 'throughput', repeats: s.rounds, jobs: throughput },
    { group: 'latency', repeats: s.latencyRounds, jobs: latency },
    { group: 'producers', repeats: s.producerRounds, jobs: producers },
    { group: 'sweep and busy', repeats: 1, jobs: once },
  ];
}

// The whole plan, in the order it runs: group by group, and within a group round by round, every
// series once per round. Each entry: { job, series: index of its series, round }.
function plan(size) {
  const steps = [];
  const jobs = [];
  for (const group of series(size)) {
    const first = jobs.length;
    jobs.push(...group.jobs.map((job) => ({ ...job, group: group.group, repeats: group.repeats })));
    for (let round = 0; round < group.repeats; round++) {
      group.jobs.forEach((_, k) => steps.push({ series: first + k, round }));
    }
  }
  return { jobs, steps };
}

// A rough cost model, in seconds, for the ETA printed before the run and corrected as it goes.
const SPAWN_S = 0.15;
function estimateSeconds(job) {
  switch (job.kind) {
    case 'stream': {
      const rate = job.options.rate || 3e6 * (job.checks === 'sum' || job.checks === 'sum-each' ? 20 : 1);
      return SPAWN_S + job.options.count / rate + (job.busyWork ? job.options.count / 4e5 : 0);
    }
    case 'js-call-floor':
      return SPAWN_S + job.calls / (job.callsPerScope === 1 ? 8e6 : 12e6);
    case 'js-loop-floor':
      return SPAWN_S + job.items / (job.callback === 'sum' ? 2e8 : 3e7);
    case 'native-floor':
      return SPAWN_S + (job.floor === 'ring' ? 0.6 : 0.5);
    case 'uv-ping-pong':
      return SPAWN_S + job.roundTrips * 50e-6;
    case 'sleeper':
      return SPAWN_S + job.durationMs / 1000;
    default:
      return SPAWN_S;
  }
}

function planSummary(size) {
  const { jobs, steps } = plan(size);
  const seconds = steps.reduce((sum, step) => sum + estimateSeconds(jobs[step.series]), 0);
  return { series: jobs.length, processes: steps.length, estimatedS: seconds };
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
  if (job.kind === 'native-floor') return `native floor: ${job.floor}`;
  if (job.kind === 'js-loop-floor') return `JS-loop floor (${job.callback})`;
  if (job.kind !== 'stream') return `${job.kind}${job.api ? ` ${job.api}, scope per ${job.callsPerScope}` : ''}`;
  const producers = job.options.producers > 1 ? `, ${job.options.producers} producers` : '';
  const stamps = job.latency ? ', stamped' : '';
  return `${job.targetName} · ${job.scenario}, ${rateName(job.options.rate)}${producers}${stamps}`;
}

const clock = (seconds) => {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

// Runs the steps in order; returns one entry per series with its runs in round order.
async function runJobs({ jobs, steps }) {
  const results = jobs.map((job) => ({ job, runs: [] }));
  const started = Date.now();
  const estimates = steps.map((step) => estimateSeconds(jobs[step.series]));
  let estimatedDone = 0;
  let estimatedLeft = estimates.reduce((a, b) => a + b, 0);
  for (const [index, step] of steps.entries()) {
    const job = jobs[step.series];
    const { group, repeats, ...childJob } = job;
    const run = await runChild(childJob);
    results[step.series].runs.push({ ...run, round: step.round });
    estimatedDone += estimates[index];
    estimatedLeft -= estimates[index];
    const elapsed = (Date.now() - started) / 1000;
    const eta = estimatedLeft * (elapsed / estimatedDone); // the model, scaled by how it did so far
    const failed = run.error ?? run.problems?.join('; ');
    const mark = failed ? `  ! ${failed}` : '';
    process.stderr.write(
      `[${String(index + 1).padStart(4)}/${steps.length}] ${clock(elapsed).padStart(5)} elapsed, ~${clock(eta)} left  ${group} ${step.round + 1}/${repeats}  ${describe(job)}${mark}\n`,
    );
  }
  return results;
}

function runNativeFloors() {
  if (!fs.existsSync(NATIVE_FLOORS)) return { error: `${NATIVE_FLOORS} is not built` };
  const out = path.join(os.tmpdir(), `floors-${process.pid}.json`);
  process.stderr.write('native floors (Google Benchmark) …\n');
  try {
    // Smoke size: one family, to check the plumbing.
    const filter = process.env.REPORT_SIZE === 'smoke' ? ['--benchmark_filter=BM_Eventfd_PingPong'] : [];
    execFileSync(NATIVE_FLOORS, [...filter, `--benchmark_out=${out}`, '--benchmark_out_format=json'], {
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

function sizeFromEnvironment() {
  const size = process.env.REPORT_SIZE ?? 'quick';
  if (!SIZES[size]) throw new Error(`REPORT_SIZE=${size}: one of ${Object.keys(SIZES).join(', ')}`);
  return size;
}

async function main() {
  const size = sizeFromEnvironment();
  const planned = plan(size);
  const { series: seriesCount, processes, estimatedS } = planSummary(size);
  process.stderr.write(
    `wakeup-cookbook harness, size ${size}: ${seriesCount} series, ${processes} processes, ` +
      `about ${clock(estimatedS)} (plus the native floors) on an idle 2-core machine\n`,
  );
  if (process.argv.includes('--plan')) return;
  const loadAtStart = os.loadavg().map((l) => +l.toFixed(2));
  const [load] = loadAtStart;
  if (load > 0.5) {
    process.stderr.write(`warning: load average ${load.toFixed(2)}: other work on this machine will skew the figures\n`);
  }
  const started = new Date();
  const nativeFloors = runNativeFloors();
  const results = await runJobs(planned);
  const report = {
    size,
    sizes: SIZES[size],
    producers: PRODUCERS,
    bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED },
    busyWork: BUSY_WORK,
    busyRate: BUSY_RATE,
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    environment: { ...collectEnvironment(), loadAverageAtStart: loadAtStart },
    targets: targets().map(({ name, kind, semantics, onStop, excluded, api, callback, technique }) => ({ name, kind, semantics, onStop, excluded, api, callback, technique })),
    results,
    nativeFloors,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify(report, null, 1));
  process.stderr.write(`wrote ${path.relative(process.cwd(), RESULTS)} in ${report.durationS.toFixed(0)} s\n`);
}

if (require.main === module) main();

module.exports = { plan, series, planSummary, estimateSeconds, targets, SIZES, NATIVE_SERIES };
