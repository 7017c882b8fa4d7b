'use strict';
// One measurement, in a process of its own so that no run inherits another's heap, threads or
// JIT state. The harness runs
//   node bench/run-one.js '<job as JSON>'
// and reads one JSON line from stdout. A job is
//   { kind: 'stream', target: { modulePath | alternative, semantics }, options, busyWork, latency,
//     samples, pinArrangements, floorBeside | streamBeside }   pinArrangements: see sampleOrder
// floorBeside: { api, calls, callsPerScope }, streamBeside: { name, target }: a sample of that
// JS-call floor, or of that target's stream of the same options, after each of the stream's
// samples, in the same placement; the result's field of the same name holds its rates
// (besideSampler).
//   { kind: 'js-call-floor', calls, callsPerScope, api: 'node-api' | 'v8', pinSamples }
//   { kind: 'uv-ping-pong', roundTrips }
//   { kind: 'sleeper', durationMs, intervalMs }
//   { kind: 'js-loop-floor', items, batch, callback: 'checks' | 'sum', pinSamples }
// pinSamples: each sample on a CPU of its own in turn (floorSamples).
//   { kind: 'native-floor', filter }   one run of bench/native's floors, --benchmark_filter=filter
//   { kind: 'together', jobs: [stream jobs] }   those streams one after the other in this process
// A stream job with keepSamples also returns every latency sample (ns), for the report's CDF and
// its intervals.
//
// Best of k: a throughput job with `samples: k` (unpaced streams and the throughput floors) is
// timed k times in its process, back to back, each sample of the job's full size, and reports
// every sample's rate and the best of them as its figure. On a shared or virtual machine, other
// work only ever slows a sample down (it takes the CPU, the caches, the memory bus); it never
// speeds one up. The fastest of k samples is what the process could do, the others are that
// minus the interference they met; the report then takes the best of the processes' bests.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { createHistogram } = require('node:perf_hooks');
const placement = require('./placement');

const FLOOR_BUILD = path.join(__dirname, 'floor', 'build', 'Release');
// The same loop through Node-API (node-addon-api chapters) and through V8's API (nan chapters).
const FLOOR_ADDONS = { 'node-api': 'floor.node', v8: 'floor_v8.node' };

function nowNs() {
  return Number(process.hrtime.bigint());
}

function percentiles(histogram) {
  if (histogram.count === 0) return null;
  const at = (p) => histogram.percentile(p);
  return {
    count: histogram.count,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: histogram.max,
    mean: histogram.mean,
    // [percentile, ns] pairs as the histogram's buckets give them: the latency CDF
    cdf: [...histogram.percentiles].map(([p, ns]) => [p, ns]),
  };
}

// A module path may be relative to the repository's root, as the report's reproduce commands give it.
const ROOT = path.join(__dirname, '..');
function loadTarget(target) {
  if (target.modulePath) return require(path.resolve(ROOT, target.modulePath));
  if (target.alternative === 'postmessage-item') {
    return require('./alternatives/postmessage').createPostMessageTexample({ batch: false });
  }
  if (target.alternative === 'postmessage-batch') {
    return require('./alternatives/postmessage').createPostMessageTexample({ batch: true });
  }
  if (target.alternative === 'sab-ring') return require('./alternatives/sab-ring').createSabRingTexample();
  throw new Error(`unknown target ${JSON.stringify(target)}`);
}

// The callback every target gets: checks order per producer (the same check for all), records
// latency when asked (and keeps every sample with keepSamples), and burns `busyWork` iterations
// of integer work when asked. It is one function for the whole process, reading the state of the
// stream that runs (`current`, which makeCallback sets): streams that share a process
// (bench/harness.js, together) hand texample.callback the same function. A JS loop that calls it
// (the trampoline's; a batch callback's loop over its batch, perItemOf) then sees one callee and
// keeps it inlined. With a closure per stream, from one literal, the trampoline ran a second
// stream in its process at 39-44 M items/s, against 70-85 for the first.
let current = null;
function perItemCallback(i, sentNs) {
  const state = current;
  const { producers, next } = state;
  const k = i % producers;
  if (state.everyItem ? i !== next[k] : i < next[k]) state.outOfOrder++;
  next[k] = i + producers;
  state.delivered++;
  if (state.latency) {
    const ns = Math.max(1, Math.round(nowNs() - sentNs));
    state.histogram.record(ns);
    if (state.samples && state.sampleCount < state.samples.length) state.samples[state.sampleCount++] = ns;
  }
  if (state.busyWork) {
    let x = state.sink;
    for (let j = 0; j < state.busyWork; j++) x = (Math.imul(x, 31) + j) | 0;
    state.sink = x;
  }
}

function makeCallback({ producers, everyItem, latency, busyWork = 0, keepSamples = 0 }) {
  const state = {
    producers,
    everyItem,
    latency: Boolean(latency),
    busyWork,
    next: Array.from({ length: producers }, (_, k) => k),
    histogram: createHistogram(),
    samples: keepSamples ? new Float64Array(keepSamples) : null,
    delivered: 0,
    outOfOrder: 0,
    sink: 0,
    sampleCount: 0,
    callback: perItemCallback,
  };
  state.reset = () => {
    state.next.forEach((_, k) => (state.next[k] = k));
    Object.assign(state, { delivered: 0, outOfOrder: 0, sink: 0, sampleCount: 0 });
    state.histogram.reset();
  };
  current = state;
  return state;
}

// A batch callback, (values[, stamps]) with typed arrays of one wake-up's items, that hands each
// item to the per-item checks: the same checks for every target, the call inlined by the JIT.
// One per callback function, so that the streams of a process share it too (see makeCallback).
const perItemWrappers = new WeakMap();
function perItemOf(callback) {
  if (!perItemWrappers.has(callback)) {
    perItemWrappers.set(callback, (values, stamps) => {
      for (let k = 0; k < values.length; k++) callback(values[k], stamps?.[k]);
    });
  }
  return perItemWrappers.get(callback);
}

// A batch callback that reads every value and adds them up, as light as the JS-call floor's
// callback. Checked by count and by sum (0 + 1 + … + count-1, exact in a double below 2^53): a
// lost or duplicated item changes one or the other. Order is checked by the other scenarios.
function makeSumCallback() {
  const state = { delivered: 0, outOfOrder: 0, sum: 0 };
  state.reset = () => Object.assign(state, { delivered: 0, sum: 0 });
  state.callback = (values) => {
    let sum = state.sum;
    for (let k = 0; k < values.length; k++) sum += values[k];
    state.sum = sum;
    state.delivered += values.length;
  };
  return state;
}

// A per-item callback that adds each value: the JS-call floor's own callback (plus a count), so
// that a per-item technique can be divided by that floor with the same callback on both sides.
// Checked by count and by sum, as the batch-sum callback is.
// The sum lives in a Float64Array, as the floor's does: no heap number per call.
function makeSumEachCallback() {
  const sum = new Float64Array(1);
  let delivered = 0;
  const state = {
    outOfOrder: 0,
    get sum() {
      return sum[0];
    },
    get delivered() {
      return delivered;
    },
  };
  state.reset = () => {
    sum[0] = 0;
    delivered = 0;
  };
  state.callback = (i) => {
    sum[0] += i;
    delivered++;
  };
  return state;
}

function callbackFor(job) {
  if (job.checks === 'sum') return makeSumCallback();
  if (job.checks === 'sum-each') return makeSumEachCallback();
  const producers = job.options.producers ?? 1;
  const everyItem = (job.target.semantics ?? 'every-item') === 'every-item';
  const keepSamples = job.keepSamples && job.latency ? job.options.count : 0;
  const state = makeCallback({ producers, everyItem, latency: job.latency, busyWork: job.busyWork, keepSamples });
  if (job.target.callback === 'batch') state.callback = perItemOf(state.callback);
  return state;
}

// Calls the callback from JS with items 0, 1, 2, … before the stream starts, then resets its
// checks, so that a short run does not measure V8 compiling the callback: the JS-call floor warms
// its callback the same way. The same number of calls for every target (fewer when each burns
// busy work).
// A batch callback is warmed up the way a stream calls it, many batches: called once with all
// 100 000 items, V8 compiled it in the middle of its loop (on-stack replacement), before the code
// after the loop had run, and the optimized code left on that code, at every call, for want of
// type feedback: the batch-sum callback deoptimized 41 times in a process (--trace-deopt). Warmed
// up in batches of 1 000, it deoptimizes none.
const WARM_UP_BATCH = 1000;
function warmUp(state, job) {
  const calls = job.busyWork ? 10000 : 100000;
  if (job.checks === 'sum' || job.target.callback === 'batch') {
    const values = Float64Array.from({ length: calls }, (_, k) => k);
    const stamps = values.map(() => nowNs());
    for (let base = 0; base < calls; base += WARM_UP_BATCH) {
      const end = Math.min(calls, base + WARM_UP_BATCH);
      state.callback(values.subarray(base, end), job.latency ? stamps.subarray(base, end) : undefined);
    }
  } else {
    for (let i = 0; i < calls; i++) state.callback(i, nowNs());
  }
  state.reset();
}

// An unpaced stream is measured after a first, untimed one through the same target and callback,
// of a tenth of its items and at most WARM_UP_ITEMS: what a technique runs in JS besides the
// callback (chapter 5's trampoline loop, a worker's message handler) is then compiled too, as the
// JS-loop floor's loop is by its warm-up pass, and a short run does not measure V8 compiling it.
// A stream that started and ended before the timed one also leaves the addon's first-use costs
// behind.
const WARM_UP_ITEMS = 100000;
async function warmUpStream(texample, state, job) {
  if (job.options.rate !== 0) return;
  const { producers, count } = job.options;
  const warmUpCount = Math.min(WARM_UP_ITEMS, Math.ceil(count / 10));
  await texample.start({ ...job.target.startOptions, count: warmUpCount, rate: 0, producers, stamp: job.latency });
  state.reset();
}

// Checks one timed stream's stats against what the callback saw; [] when all is well.
function streamProblems(job, stats, state, everyItem) {
  const problems = [];
  if (stats.stranded) problems.push(`${stats.stranded} items stranded in the queue`);
  if (stats.sent !== stats.delivered + stats.dropped) problems.push('sent !== delivered + dropped');
  if (state.delivered !== stats.delivered) problems.push('callback calls !== stats.delivered');
  if (stats.sent !== job.options.count) problems.push(`sent ${stats.sent} !== count ${job.options.count}`);
  if (everyItem && stats.dropped !== 0) problems.push(`${stats.dropped} dropped`);
  if (state.outOfOrder !== 0) problems.push(`${state.outOfOrder} items out of order`);
  const count = job.options.count;
  const summed = job.checks === 'sum' || job.checks === 'sum-each';
  if (summed && state.sum !== (count * (count - 1)) / 2) problems.push('sum of items is wrong');
  return problems;
}

// One timed stream: its stats, time, CPU and what the checks found. The callback's state is reset
// first, so that every sample is checked on its own.
// With `placed` (bench/placement.js, mainOn), its threads are placed as the stream starts.
async function timedStream(texample, state, job, everyItem, placed = null) {
  state.reset();
  const rssBefore = process.memoryUsage.rss();
  const cpuBefore = process.cpuUsage();
  const start = nowNs();
  const options = { ...job.target.startOptions, ...job.options, stamp: job.latency };
  const stats = await (placed ? placed.start(texample, options) : texample.start(options));
  const elapsedNs = nowNs() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { stats, elapsedNs, cpuMs: (cpu.user + cpu.system) / 1000, rssBefore, mainCpu: placed?.cpu, problems: streamProblems(job, stats, state, everyItem) };
}

// Pinned arrangements (pinArrangements: n): besides its k unpinned samples, a throughput stream
// takes one with the main thread on each of the first n CPUs and every other thread on the rest
// (bench/placement.js), the two kinds taking turns. A stream is bound by one of its threads (the
// main thread for a per-item chapter, the producer for the trampoline and batch mode), and on
// this kind of VM one vCPU at a time can run at little over half the other's speed while a thread
// stays on the vCPU it started on: unpinned, a process measures what the stream can do only if
// its bound thread started on the fast one. One arrangement per CPU gives every process a sample
// that puts it there. The unpinned samples stay because pinning costs something of its own: with
// both vCPUs at one speed, per-item chapters' and 04-tsfn's pinned bests ran 3-7% below the
// unpinned ones (the other threads, V8's among them, share one CPU with the producer). The best
// sample is kept, as ever. The order: null for an unpinned sample, else the main thread's CPU.
function sampleOrder(k, arrangements) {
  const cpus = arrangements > 1 ? Math.min(arrangements, os.cpus().length) : 0;
  const order = [];
  for (let j = 0; j < Math.max(k, cpus); j++) {
    if (j < k) order.push(null);
    if (j < cpus) order.push(j);
  }
  return cpus > 1 ? order : order.filter((cpu) => cpu === null);
}

// What a stream job samples beside its own samples (floorBeside or streamBeside), or null:
// { key, sample(placed) → a rate, problems, result(rates) }. Another target's stream hands its
// items to the same callback, after a warm-up stream of its own.
async function besideSampler(job, state, everyItem) {
  if (job.floorBeside) {
    const floor = jsCallFloor(job.floorBeside);
    floor.warmUp();
    const result = (rates) => ({ ...job.floorBeside, callsPerSec: Math.max(...rates), samplesPerSec: rates });
    return { key: 'floorBeside', sample: async () => floor.sample(), problems: floor.problems, result };
  }
  if (!job.streamBeside) return null;
  const other = { ...job, target: job.streamBeside.target };
  const texample = loadTarget(other.target);
  texample.callback = state.callback;
  await warmUpStream(texample, state, other);
  const problems = [];
  const sample = async (placed) => {
    const { stats, elapsedNs, problems: found } = await timedStream(texample, state, other, everyItem, placed);
    problems.push(...found);
    return stats.delivered / (elapsedNs / 1e9);
  };
  const result = (rates) => ({ name: job.streamBeside.name, deliveredPerSec: Math.max(...rates), samplesPerSec: rates });
  return { key: 'streamBeside', sample, problems, result };
}

async function runStream(job) {
  const texample = loadTarget(job.target);
  const everyItem = (job.target.semantics ?? 'every-item') === 'every-item';
  const state = callbackFor(job);
  warmUp(state, job);
  texample.callback = state.callback;
  await warmUpStream(texample, state, job);
  // Best of k (see the top): only unpaced streams without stamps take several samples.
  const k = job.options.rate === 0 && !job.latency ? Math.max(1, job.samples ?? 1) : 1;
  const order = sampleOrder(k, k > 1 ? (job.pinArrangements ?? 0) : 0);
  const arranged = order.some((cpu) => cpu !== null);
  // What the stream is held to, sampled right after each stream sample and in its placement:
  // each pair is then a ratio at one speed of the machine (bench/analysis.js, overBeside).
  const beside = await besideSampler(job, state, everyItem);
  const samples = [];
  const besideRates = [];
  for (const cpu of order) {
    const placed = cpu === null ? null : placement.mainOn(cpu);
    try {
      samples.push(await timedStream(texample, state, job, everyItem, placed));
      if (beside) besideRates.push(await beside.sample(placed));
    } finally {
      if (placed) placement.release(); // the scheduler's choice again for what follows
    }
  }
  const rates = samples.map((s) => s.stats.delivered / (s.elapsedNs / 1e9));
  const best = samples[rates.indexOf(Math.max(...rates))];
  const { stats, elapsedNs, cpuMs, rssBefore } = best;
  return {
    stats,
    elapsedNs,
    deliveredPerSec: Math.max(...rates),
    samplesPerSec: rates,
    ...(arranged && { samplesCpu: samples.map((s) => s.mainCpu ?? null) }),
    ...(beside && { [beside.key]: beside.result(besideRates) }),
    itemsPerWakeup: stats.wakeups ? stats.delivered / stats.wakeups : 0,
    latencyNs: job.latency ? percentiles(state.histogram) : null,
    samplesNs: state.samples ? Array.from(state.samples.subarray(0, state.sampleCount)) : undefined,
    cpuMs,
    rssBeforeBytes: rssBefore,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    problems: [...new Set([...samples.flatMap((s) => s.problems), ...(beside?.problems ?? [])])],
  };
}

// The JS-call floor's callback adds each value into a Float64Array: exact below 2^53, and it
// allocates nothing. A callback that adds into a plain `let` allocates a heap number per call once
// the sum leaves the small-integer range, and its speed then follows the young generation's size:
// about 10 M calls/s (CPU time) in a process whose new space has grown, about 17 M in one whose
// has not, so that the floor was bimodal across processes. Without the allocation it runs at
// about 19 M calls/s in every process (docs/report/README.md, "Why the floors were bimodal").
function jsCallFloor({ calls, callsPerScope, api }) {
  const floor = require(path.join(FLOOR_BUILD, FLOOR_ADDONS[api]));
  const sum = new Float64Array(1);
  const callback = (i) => {
    sum[0] += i;
  };
  const problems = [];
  return {
    warmUp: () => floor.callMany(callback, Math.min(calls, 100000), callsPerScope), // the JIT
    // One timed sample: its rate in calls/s.
    sample() {
      sum[0] = 0;
      const rate = calls / (floor.callMany(callback, calls, callsPerScope) / 1e9);
      if (sum[0] !== (calls * (calls - 1)) / 2 && problems.length === 0) problems.push('sum of calls is wrong');
      return rate;
    },
    problems,
  };
}

function runJsCallFloor({ calls, callsPerScope, api, samples = 1, pinSamples = false }) {
  const floor = jsCallFloor({ calls, callsPerScope, api });
  const { rates, samplesCpu } = floorSamples({ samples, pinSamples }, floor.warmUp, floor.sample);
  return { api, calls, callsPerScope, callsPerSec: Math.max(...rates), samplesPerSec: rates, ...(samplesCpu && { samplesCpu }), problems: floor.problems };
}

// A JS floor's samples: its warm-up, then `samples` calls of takeSample (each returns a rate).
// With `pinSamples`, sample j runs on CPU j mod (the CPUs) and the warm-up on the first
// (bench/placement.js, onEachCpu): on this kind of VM one vCPU at a time runs a single-threaded
// loop at little over half the other's speed, for minutes on end, and a floor that happened to
// start on the slow one bounds nothing; the floor keeps the fastest, as every floor does.
// { rates, samplesCpu }: each sample's CPU (null where the kernel refused the pin), or undefined
// when not pinned.
function floorSamples({ samples, pinSamples }, warmUp, takeSample) {
  if (pinSamples) {
    const { values, cpus } = placement.onEachCpu(samples, warmUp, takeSample);
    return { rates: values, samplesCpu: cpus };
  }
  warmUp();
  const rates = [];
  for (let j = 0; j < Math.max(1, samples); j++) rates.push(takeSample());
  return { rates, samplesCpu: undefined };
}

function runUvPingPong({ roundTrips }) {
  const floor = require(path.join(FLOOR_BUILD, FLOOR_ADDONS['node-api']));
  floor.uvPingPong(Math.min(roundTrips, 1000));
  return { roundTrips, roundTripNs: floor.uvPingPong(roundTrips), libuv: process.versions.uv };
}

// A plain timer loop: how late does a 1 ms timer fire on this machine right now?
function runSleeper({ durationMs, intervalMs }) {
  const histogram = createHistogram();
  const end = nowNs() + durationMs * 1e6;
  return new Promise((resolve) => {
    const tick = (due) => {
      const now = nowNs();
      histogram.record(Math.max(1, Math.round(now - due)));
      if (now >= end) return resolve({ durationMs, intervalMs, latenessNs: percentiles(histogram) });
      const next = now + intervalMs * 1e6;
      setTimeout(() => tick(next), intervalMs);
    };
    const first = nowNs() + intervalMs * 1e6;
    setTimeout(() => tick(first), intervalMs);
  });
}

// The JS-loop floor: the targets' own per-item callback (or the batch-sum callback) called from a
// JS loop over a filled Float64Array, `batch` items at a time, as a batch callback that hands
// each item on does: no thread, no native call. The bound for any per-item delivery that crosses
// into JS once per batch. Only the loops are timed, not the filling.
function runJsLoopFloor({ items, batch, callback, samples = 1, pinSamples = false }) {
  const sum = callback === 'sum';
  const state = sum ? makeSumCallback() : makeCallback({ producers: 1, everyItem: true, latency: false, busyWork: 0 });
  const deliver = sum ? state.callback : perItemOf(state.callback);
  const values = new Float64Array(batch);
  const pass = (count, time) => {
    let elapsed = 0;
    for (let base = 0; base < count; base += batch) {
      const n = Math.min(batch, count - base);
      for (let k = 0; k < n; k++) values[k] = base + k;
      const view = n === batch ? values : values.subarray(0, n);
      const start = time ? nowNs() : 0;
      deliver(view);
      if (time) elapsed += nowNs() - start;
    }
    return elapsed;
  };
  const problems = [];
  const warmUp = () => pass(100000, false); // the targets' warm-up: 100 000 calls
  const { rates, samplesCpu } = floorSamples({ samples, pinSamples }, warmUp, () => {
    state.reset();
    const elapsedNs = pass(items, true);
    if (state.delivered !== items) problems.push('callback calls !== items');
    if (state.outOfOrder) problems.push(`${state.outOfOrder} items out of order`);
    if (sum && state.sum !== (items * (items - 1)) / 2) problems.push('sum of items is wrong');
    return items / (elapsedNs / 1e9);
  });
  return { callback, items, batch, itemsPerSec: Math.max(...rates), samplesPerSec: rates, ...(samplesCpu && { samplesCpu }), problems: [...new Set(problems)] };
}

// One Google Benchmark run of the native floors in this fresh process, so that the harness can
// interleave them with the targets.
const NATIVE_FLOORS = path.join(__dirname, 'native', 'build', 'floors');
// With `samples: k` (the ring floor), Google Benchmark repeats the run k times in the process and
// the best repetition comes first in `benchmarks`, as the best sample does for the other jobs.
function runNativeFloor({ filter, samples = 1 }) {
  const out = path.join(os.tmpdir(), `floor-${process.pid}.json`);
  try {
    const repetitions = samples > 1 ? [`--benchmark_repetitions=${samples}`] : [];
    execFileSync(NATIVE_FLOORS, [`--benchmark_filter=${filter}`, ...repetitions, `--benchmark_out=${out}`, '--benchmark_out_format=json'], { stdio: 'ignore' });
    const { benchmarks } = JSON.parse(fs.readFileSync(out, 'utf8'));
    const failed = benchmarks.filter((b) => b.error_occurred).map((b) => `${b.name}: ${b.error_message}`);
    const runs = benchmarks.filter((b) => b.run_type !== 'aggregate');
    const rate = (b) => b.items_per_second ?? -Infinity;
    const best = runs.reduce((a, b) => (rate(b) > rate(a) ? b : a), runs[0]);
    const ordered = best ? [best, ...runs.filter((b) => b !== best)] : runs;
    return { filter, benchmarks: ordered, samplesPerSec: runs.map((b) => b.items_per_second).filter(Number.isFinite), problems: failed };
  } finally {
    fs.rmSync(out, { force: true });
  }
}

// Several stream jobs in this one process, one after the other (the harness's `together` steps:
// some streams of one target, see bench/harness.js, plan): one result per job, in their order. Each is
// timed on its own, with its own callback and warm-up; peakRssBytes is the process's so far.
async function runTogether({ jobs }) {
  const results = [];
  for (const job of jobs) {
    try {
      results.push(await runStream(job));
    } catch (error) {
      results.push({ error: String(error?.stack ?? error) });
    }
  }
  return { results };
}

const RUNNERS = {
  stream: runStream,
  together: runTogether,
  'js-loop-floor': runJsLoopFloor,
  'native-floor': runNativeFloor,
  'js-call-floor': runJsCallFloor,
  'uv-ping-pong': runUvPingPong,
  sleeper: runSleeper,
};

async function main() {
  const job = JSON.parse(process.argv[2]);
  const result = await RUNNERS[job.kind](job);
  // Exit explicitly: chapter 0 never closes its watcher, as in 2011, and would keep the process
  // alive for ever. (The conformance suite checks that the other chapters let it exit.)
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ error: String(error?.stack ?? error) }) + '\n');
  process.exitCode = 1;
});
