'use strict';
// The benchmark harness: measures every chapter and variant that exists (common/chapters.js),
// the JS-only alternatives and the floors in fresh child processes, one process at a time, and
// writes the raw results to bench/results/latest.json.
//   node bench/harness.js            quick size (REPORT_SIZE=full for the long run, smoke to check
//                                    the harness end to end in a minute; CHAPTERS=04 narrows)
//   node bench/harness.js --plan     prints the planned job count and duration, runs nothing
// Every target and floor runs in rounds (round-robin), each run in a fresh process (some streams of
// one target share one: see series and plan): see SIZES.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { chapterTargets } = require('../common/chapters');
const { collectEnvironment, gitCommit } = require('./environment');
const { rateLabel: rateName } = require('./charts');
const { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } = require('./analysis');

const RUN_ONE = path.join(__dirname, 'run-one.js');
const RESULTS = process.env.RESULTS ?? path.join(__dirname, 'results', 'latest.json'); // RESULTS=file: elsewhere
const NATIVE_FLOORS = path.join(__dirname, 'native', 'build', 'floors');

// rounds: every series of a group runs once per round, round-robin over targets and floors, so
// that a floor and the targets divided by it are measured side by side, each in fresh processes.
// Throughput jobs take `samples` timed samples each in their process, every one of the size given
// here, and report the best (bench/run-one.js, "Best of k"): sizes are per sample. A row of a table
// that compares runs (producers, stamped ÷ unstamped) compares runs of the same size.
const SIZES = {
  smoke: {
    // For checking the harness end to end in a minute: figures meaningless.
    rounds: 2, // throughput: targets unpaced with one producer, batch-sum, every throughput floor
    samples: 2, // timed samples per throughput process, the best reported
    reruns: 1, // at most this many rounds of the throughput group rerun when a floor moved (see below)
    // The latency floors and chapter 0's 1 000 items/s latency runs (5 or more: quick, full); the
    // other targets' latency runs share their throughput processes, `rounds` of them.
    latencyRounds: 2,
    producerRounds: 1, // 1, 2, 4 and 8 producers, 1 stamped, and the busy main thread
    producers: [1, 2, 8],
    sweep: [[1e4, 500], [1e5, 5000]], // [rate, items], paced; 1k/s is the latency group's
    latencyItems: 100,
    unpacedItems: 20000,
    producerItems: 20000,
    busyItems: 5000,
    batchItems: 500000,
    sumEachItems: 200000,
    floorCalls: 100000,
    loopItems: 200000,
    pingPongs: 500,
    sleeperMs: 200,
  },
  quick: {
    rounds: 5,
    samples: 2,
    // None: a process that ran slow is one whose main thread started on the slow vCPU (see
    // bench/analysis.js), not a disturbed round, and a rerun round is another 15 s of the run.
    reruns: 0,
    latencyRounds: 5,
    producerRounds: 3,
    producers: [1, 2, 8],
    sweep: [[1e4, 1500], [1e5, 15000], [1e6, 100000]],
    latencyItems: 300, // as many as the native latency floors' wake-ups (bench/native/support.h)
    unpacedItems: 100000,
    producerItems: 50000,
    // At 1 M/s offered the busy main thread takes about 400 000 a second: 200 000 items leave some
    // 120 000 behind when the producer is done, beyond chapter 5's ring (65 536), as its memory
    // target needs (analysis.js, ringBoundReached). (With 150 000, chapter 5's RSS growth spread
    // from 1.6 to 2.3 MiB over processes, against 1.74 in each of three with 200 000.)
    busyItems: 200000,
    batchItems: 10000000,
    sumEachItems: 2000000,
    floorCalls: 400000,
    loopItems: 1000000,
    pingPongs: 5000,
    sleeperMs: 500,
  },
  full: {
    rounds: 9,
    samples: 7,
    reruns: 3,
    latencyRounds: 7,
    producerRounds: 5,
    producers: [1, 2, 4, 8],
    sweep: [[1e4, 50000], [1e5, 500000], [1e6, 3000000]],
    latencyItems: 5000,
    unpacedItems: 2000000,
    producerItems: 1000000,
    busyItems: 1000000,
    batchItems: 50000000,
    sumEachItems: 20000000,
    floorCalls: 2000000,
    loopItems: 10000000,
    pingPongs: 100000,
    sleeperMs: 5000,
  },
};

// A round of the throughput group is disturbed when either JS-call floor's best in it fell more
// than FLOOR_MOVED below that floor's median over the rounds: something else took the machine for
// a while. Such a round is marked (every run of it keeps `disturbed: true` in the raw data, and the
// report leaves it out) and replaced by a new round, `reruns` new rounds at most in all; past
// those, marked rounds are left out without replacement.
const FLOOR_MOVED = 0.25;
const ROUND_FLOORS = [
  { kind: 'js-call-floor', api: 'node-api', callsPerScope: 1000 },
  { kind: 'js-call-floor', api: 'v8', callsPerScope: 1000 },
];

// The per-item targets held to a JS-call floor (bench/analysis.js, targetList), and which one. Each
// also runs with the floor's own callback, which adds each value, and takes a sample of that floor
// right after each of its own, in its process and placement (bench/run-one.js, floorBeside): the
// ratio is taken within each process (bench/analysis.js, overBeside). Both are bound by the
// main thread, and this kind of VM runs a whole process at one speed or another (the Node-API
// floor at 10 or at 17 M calls/s in one run): a ratio of two processes' bests measured which drew
// the fast one. Not the trampoline or batch mode: they are bound by the producer thread, which the
// floor does not use, and beside it their ratios spread over processes from 2.3 to 13.5 (two runs
// of make report, 5 processes each).
const HELD_TO_FLOOR = { '05-fast-path': 'node-api' };
// The same for a target held to another (bench/analysis.js, targetList): per-item mode against
// 04-tsfn, both bound by the main thread. The other's stream takes a sample right after each of
// the target's unpaced samples, in its process (bench/run-one.js, streamBeside).
const PAIRED_WITH = { '05-fast-path': '04-tsfn' };

const PINNED_CPUS = 4;
const BUSY_WORK = 2000; // iterations of integer work per item in the busy-main-thread scenario
const BUSY_RATE = 1e6; // offered items/s in that scenario
const LOOP_BATCH = 65536; // the JS-loop floor's batch: chapter 5's ring size

const ALTERNATIVES = [
  { name: 'postMessage per item', alternative: 'postmessage-item' },
  { name: 'postMessage per batch', alternative: 'postmessage-batch' },
  { name: 'SharedArrayBuffer ring', alternative: 'sab-ring' },
];

// The native floors run interleaved, each in a fresh process (bench/run-one.js runs the binary):
// the ring floor bounds batch mode; the paced eventfd floors bound idle latency, with the threads
// on two CPUs, on one, and where the scheduler puts them (as a chapter's threads run).
// The ring floor runs unpinned, as chapter 5's threads do: pinned threads cannot leave a CPU that
// other work is using, and on a shared machine fell far below the unpinned chapter.
const NATIVE_SERIES = {
  ring: 'BM_Ring_ProducerConsumer/ring_size:65536/look_us:10/pinned:0',
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

// What bench/run-one.js needs of a target to load it and start its streams.
function jobTarget({ modulePath, alternative, semantics, startOptions, callback }) {
  return { modulePath, alternative, semantics, startOptions, callback };
}

function streamJob(target, scenario, options, extra = {}) {
  return {
    kind: 'stream',
    scenario,
    targetName: target.name,
    target: jobTarget(target),
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
  // The JS floors take their samples on each CPU in turn (bench/run-one.js, floorSamples): at least
  // one sample on each of the first PINNED_CPUS (a many-core machine would otherwise time dozens).
  const pinnedCpus = Math.min(os.cpus().length, PINNED_CPUS);
  const pinnedSamples = Math.max(s.samples, pinnedCpus);
  const throughput = [
    ...['node-api', 'v8'].flatMap((api) =>
      [1000, 1].map((callsPerScope) => ({ kind: 'js-call-floor', scenario: 'floor', api, calls: s.floorCalls, callsPerScope, samples: pinnedSamples, pinSamples: true })),
    ),
    ...['checks', 'sum'].map((callback) => ({ kind: 'js-loop-floor', scenario: 'floor', items: s.loopItems, batch: LOOP_BATCH, callback, samples: pinnedSamples, pinSamples: true })),
    { kind: 'native-floor', scenario: 'floor', floor: 'ring', filter: NATIVE_SERIES.ring, samples: s.samples },
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
    // loop; so does a batch callback, which runs the same loop over each batch. In the producers
    // group they deliver ten times the others' items, the same in every column of their row.
    const loops = target.technique === 'trampoline' || target.callback === 'batch';
    const unpacedCount = loops ? s.loopItems : s.unpacedItems;
    const producerCount = loops ? 10 * s.producerItems : s.producerItems;
    // Chapter 0 runs one stream per process: its watcher and global state outlive a stream.
    const k = target.excluded ? 1 : s.samples;
    // A target's throughput streams and its 1 000/s latency run share a process in each round of
    // the throughput group, as its producer counts and stamped run do in the producers group and
    // its sweep's rates in the sweep (see plan): chapter 0 aside, which runs one stream per process.
    // In the throughput group the throughput streams lead, the latency run last, the same order
    // every round: a stream before would leave its own branches (stamps, latency) in the type
    // feedback of the callback, one function per process (bench/run-one.js, makeCallback). Where a
    // JS loop calls texample.callback (the trampoline), a different function before it makes that
    // call polymorphic and takes its inlining away: the trampoline ran at 48-49 M items/s after its
    // sum-each run, whose callback adds each value, and at 85-88 first.
    const together = target.excluded ? {} : { together: target.name };
    // The throughput streams also take a sample in each pinned arrangement (bench/run-one.js,
    // sampleOrder): the main thread on each CPU in turn, the other threads on the rest.
    const pinned = { samples: k, ...(k > 1 && { pinArrangements: pinnedCpus }), ...together, leads: !target.excluded };
    const other = all.find((t) => t.name === PAIRED_WITH[target.name]);
    const streamBeside = other ? { streamBeside: { name: other.name, target: jobTarget(other) } } : {};
    throughput.push(streamJob(target, 'unpaced', { count: unpacedCount, rate: 0, producers: 1 }, { ...pinned, ...streamBeside }));
    const api = HELD_TO_FLOOR[target.name];
    const beside = api ? { floorBeside: { api, calls: s.floorCalls, callsPerScope: 1000 } } : {};
    if (target.technique === 'trampoline') {
      // The per-item callback in the JS-call floor's own form, adding each value: the trampoline
      // divided by that floor with the same callback on both sides. A process of its own, since
      // the trampoline's loop would call two functions in one process (see above).
      throughput.push(streamJob(target, 'sum-each', { count: s.sumEachItems, rate: 0 }, { checks: 'sum-each', ...pinned, together: `${target.name} sum-each` }));
    } else if (api && target.callback === 'per-item') {
      // Per-item mode the same way, as many items as the floor makes calls. It shares the unpaced
      // stream's process: native code calls the callback, so no JS call site sees two functions.
      throughput.push(streamJob(target, 'sum-each', { count: s.floorCalls, rate: 0, producers: 1 }, { checks: 'sum-each', ...pinned, ...beside }));
    }
    if (target.callback === 'batch') {
      // The batch callback in its lightest form, as the floor's callback is: it adds every value.
      // It comes second, after the unpaced stream: another literal, called from native code.
      throughput.push(streamJob(target, 'batch-sum', { count: s.batchItems, rate: 0 }, { checks: 'sum', ...pinned }));
    }
    (target.excluded ? latency : throughput).push(
      streamJob(target, 'latency', { count: s.latencyItems, rate: 1000 }, { latency: true, keepSamples: true, ...together }),
    );
    // 1, 2, 4 and 8 producers for the chapters, and one producer with stamps on; the
    // alternatives' producers are workers: 1 and 2.
    const counts = target.kind === 'chapter' ? s.producers : [1, 2];
    for (const p of counts.filter((p) => p <= (target.maxProducers ?? 64))) {
      producers.push(streamJob(target, 'producers', { count: producerCount, rate: 0, producers: p }, { samples: k, ...together }));
    }
    producers.push(streamJob(target, 'stamped', { count: producerCount, rate: 0, producers: 1 }, { latency: true, samples: k, ...together }));
    for (const [rate, count] of s.sweep) once.push(streamJob(target, 'sweep', { count, rate }, { latency: true, ...together }));
    // The busy run shares the process too, and leads it: its memory figure is the process's peak
    // resident size, which a stream before it would have set.
    producers.push(streamJob(target, 'busy', { count: s.busyItems, rate: BUSY_RATE }, { latency: true, busyWork: BUSY_WORK, ...together, leads: true }));
  }
  return [
    { group: 'throughput', repeats: s.rounds, jobs: throughput, reruns: s.reruns },
    { group: 'latency', repeats: s.latencyRounds, jobs: latency },
    { group: 'producers', repeats: s.producerRounds, jobs: producers },
    { group: 'sweep', repeats: 1, jobs: once },
  ];
}

// The whole plan, in the order it runs: group by group, and within a group round by round, every
// series once per round. Each step is one process: { series: [indices of its series], round,
// group }. Series that share a `together` key (one target's unpaced and latency runs; its busy run,
// producer counts and stamped run; its sweep's rates) are one step, run one after the other in the
// same process, in an order rotated from round to round (the series that `lead` come first, in
// their listed order: the busy run, the throughput streams; see series): every
// figure still comes from several processes, each stream in it is timed on its own, and the plan
// spawns a process per target a round instead of one per series (a process start and the
// callback's warm-up cost about as much as one of those streams).
function plan(size) {
  const steps = [];
  const jobs = [];
  for (const group of series(size)) {
    const first = jobs.length;
    jobs.push(...group.jobs.map((job) => ({ ...job, group: group.group, repeats: group.repeats })));
    const members = new Map();
    group.jobs.forEach((job, k) => {
      const key = job.together ?? `#${k}`;
      if (!members.has(key)) members.set(key, []);
      members.get(key).push(first + k);
    });
    for (let round = 0; round < group.repeats; round++) {
      for (const list of members.values()) {
        // The series that lead stay first; the others take turns.
        const leading = list.filter((k) => jobs[k].leads);
        const rest = list.filter((k) => !jobs[k].leads);
        const shift = round % Math.max(1, rest.length);
        steps.push({ series: [...leading, ...rest.slice(shift), ...rest.slice(0, shift)], round, group: group.group });
      }
    }
  }
  const groups = series(size).map(({ group, repeats, reruns = 0 }) => ({ group, repeats, reruns }));
  return { jobs, steps, groups };
}

// A job as bench/run-one.js takes it: without the plan's own fields.
function childJob({ group, repeats, together, leads, ...job }) {
  return job;
}

// A rough cost model, in seconds, for the ETA printed before the run and corrected as it goes.
const SPAWN_S = 0.15;
function estimateSeconds(job) {
  switch (job.kind) {
    case 'stream': {
      const rate = job.options.rate || 3e6 * (job.checks === 'sum' || job.checks === 'sum-each' ? 20 : 1);
      const samples = (job.samples ?? 1) + (job.pinArrangements ?? 0);
      const beside = job.floorBeside ? (samples * job.floorBeside.calls) / 12e6 : job.streamBeside ? (samples * job.options.count) / 3e6 : 0;
      return SPAWN_S + (samples * job.options.count) / rate + beside + (job.busyWork ? job.options.count / 4e5 : 0);
    }
    case 'js-call-floor':
      return SPAWN_S + ((job.samples ?? 1) * job.calls) / (job.callsPerScope === 1 ? 8e6 : 12e6);
    case 'js-loop-floor':
      return SPAWN_S + ((job.samples ?? 1) * job.items) / (job.callback === 'sum' ? 2e8 : 3e7);
    case 'native-floor':
      return SPAWN_S + (job.floor === 'ring' ? 0.3 * (job.samples ?? 1) : 0.5);
    case 'uv-ping-pong':
      return SPAWN_S + job.roundTrips * 50e-6;
    case 'sleeper':
      return SPAWN_S + job.durationMs / 1000;
    default:
      return SPAWN_S;
  }
}

// A step's processes share one start.
function estimateStepSeconds(jobs, step) {
  return step.series.reduce((sum, k) => sum + estimateSeconds(jobs[k]), 0) - (step.series.length - 1) * SPAWN_S;
}

function planSummary(size) {
  const { jobs, steps } = plan(size);
  const seconds = steps.reduce((sum, step) => sum + estimateStepSeconds(jobs, step), 0);
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

// A shared step: its target once, then each stream's part of the description.
function describeStep(stepJobs) {
  if (stepJobs.length === 1) return describe(stepJobs[0]);
  const prefix = `${stepJobs[0].targetName} · `;
  return `${prefix}${stepJobs.map((job) => describe(job).replace(prefix, '')).join(' + ')} (one process)`;
}

const clock = (seconds) => {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

// The rounds of `runs` (one series' runs) in which a floor fell more than FLOOR_MOVED below its
// median over the rounds not yet marked; pure, for the tests.
function disturbedRounds(floorRuns, bound = FLOOR_MOVED) {
  const marked = new Set();
  for (const runs of floorRuns) {
    const ok = runs.filter((run) => Number.isFinite(run.value));
    const sorted = ok.map((run) => run.value).sort((a, b) => a - b);
    if (sorted.length < 3) continue;
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    for (const run of ok) if (run.value < (1 - bound) * median) marked.add(run.round);
  }
  return [...marked].sort((a, b) => a - b);
}

// Runs the steps in order; returns one entry per series with its runs in round order. After the
// throughput group, its disturbed rounds (disturbedRounds) are marked and run again as new rounds,
// at most `reruns` of them.
async function runJobs({ jobs, steps, groups }, run = runChild, log = (line) => process.stderr.write(line)) {
  const results = jobs.map((job) => ({ job, runs: [] }));
  const started = Date.now();
  let estimatedLeft = steps.reduce((sum, step) => sum + estimateStepSeconds(jobs, step), 0);
  let estimatedDone = 0;
  let index = 0;
  const total = () => steps.length;
  // One process: a job alone, or the jobs of a step that share one, as { kind: 'together', jobs }
  // (bench/run-one.js answers with one result per job).
  const runStep = async (step) => {
    const childJobs = step.series.map((k) => childJob(jobs[k]));
    const outcome = await run(childJobs.length === 1 ? childJobs[0] : { kind: 'together', jobs: childJobs }, step.round);
    const outcomes = childJobs.length === 1 ? [outcome] : childJobs.map((_, i) => outcome.results?.[i] ?? { error: outcome.error ?? 'no result' });
    const load1 = +os.loadavg()[0].toFixed(2);
    step.series.forEach((k, i) => results[k].runs.push({ ...outcomes[i], round: step.round, load1 }));
    const estimate = estimateStepSeconds(jobs, step);
    estimatedDone += estimate;
    estimatedLeft -= estimate;
    const elapsed = (Date.now() - started) / 1000;
    const eta = Math.max(0, estimatedLeft) * (elapsed / estimatedDone); // the model, scaled by how it did so far
    const failed = [...new Set(outcomes.map((o) => o.error ?? o.problems?.join('; ')).filter(Boolean))].join('; ');
    const mark = failed ? `  ! ${failed}` : '';
    const { group, repeats } = jobs[step.series[0]];
    index++;
    log(
      `[${String(index).padStart(4)}/${total()}] ${clock(elapsed).padStart(5)} elapsed, ~${clock(eta)} left  ${group} ${step.round + 1}/${repeats}  ${describeStep(step.series.map((k) => jobs[k]))}${mark}\n`,
    );
  };
  for (const { group, repeats, reruns } of groups) {
    const mine = steps.filter((step) => step.group === group);
    for (const step of mine) await runStep(step);
    if (!reruns) continue;
    const floorSeries = jobs
      .map((job, k) => ({ job, k }))
      .filter(({ job }) => job.group === group && ROUND_FLOORS.some((f) => f.kind === job.kind && f.api === job.api && f.callsPerScope === job.callsPerScope))
      .map(({ k }) => k);
    let nextRound = repeats;
    let budget = reruns;
    const live = (k) => results[k].runs.filter((run) => !run.disturbed).map((run) => ({ round: run.round, value: run.callsPerSec }));
    for (;;) {
      const bad = disturbedRounds(floorSeries.map(live));
      if (bad.length === 0) break;
      for (const entry of results.filter((e) => e.job.group === group)) {
        for (const run of entry.runs) if (bad.includes(run.round)) run.disturbed = true;
      }
      // One new round per marked round while the budget lasts; past it, marked rounds are only
      // left out, so a disturbed round never stays in the figures.
      const replacements = Math.min(bad.length, budget);
      budget -= replacements;
      log(
        `round(s) ${bad.map((r) => r + 1).join(', ')} of ${group}: a JS-call floor fell more than ${FLOOR_MOVED * 100}% below its median; ` +
          `marked, left out${replacements ? `, ${replacements} new round(s)` : ', no reruns left'}\n`,
      );
      if (replacements === 0) break;
      for (let r = 0; r < replacements; r++) {
        const round = nextRound++;
        const extra = mine.filter((step) => step.round === 0).map((step) => ({ ...step, round }));
        steps.push(...extra);
        estimatedLeft += extra.reduce((sum, step) => sum + estimateStepSeconds(jobs, step), 0);
        for (const step of extra) await runStep(step);
      }
    }
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
  const commit = gitCommit();
  const [load] = loadAtStart;
  if (load > 0.5) {
    process.stderr.write(`warning: load average ${load.toFixed(2)}: other work on this machine will skew the figures\n`);
  }
  const started = new Date();
  // The whole Google Benchmark suite of bench/native, for the report's table of native floors:
  // the full size only (the floors the figures are divided by run in the rounds at every size).
  const nativeFloors = size === 'full' ? runNativeFloors() : { skipped: 'runs at REPORT_SIZE=full only' };
  const results = await runJobs(planned);
  const report = {
    size,
    sizes: SIZES[size],
    producers: SIZES[size].producers,
    bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED },
    busyWork: BUSY_WORK,
    busyRate: BUSY_RATE,
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    commit,
    floorMoved: FLOOR_MOVED,
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

module.exports = { plan, series, planSummary, childJob, estimateSeconds, targets, disturbedRounds, runJobs, SIZES, NATIVE_SERIES, FLOOR_MOVED, PINNED_CPUS };
