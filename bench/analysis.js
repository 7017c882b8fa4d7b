'use strict';
// Turns the harness's raw results into the report's figures. Pure functions of their input, so
// tests/harness.test.js checks them on synthetic results.
//
// The statistic: a throughput process takes k timed samples and reports the best (bench/run-one.js,
// "Best of k"): interference on a shared machine only slows a sample, so the best of k is the
// process's capability. The same holds between processes: on this kind of VM a whole process
// sometimes runs a cross-thread stream at 55-65% of the speed other processes reach (the same
// stream, the same build, consistent within the process), so a throughput figure, a floor's
// included, is the best of its processes (THROUGHPUT), not their median: one or two slow processes
// of five move neither it nor its interval's low end. Rounds of the throughput group whose JS-call
// floor moved (bench/harness.js, disturbedRounds) are marked `disturbed` and left out here: `good`
// drops them.
//
// Intervals: every figure measured in several fresh processes is the median of its runs (the best,
// for throughput) with a bootstrap 95% interval (percentile method, BOOTSTRAP_RESAMPLES resamples
// of the runs, from a seeded generator, so that the same results give the same report); the
// interval's `median` field is its point estimate, whichever the statistic (`statistic: 'best'`
// marks a best). A ratio of two such figures is the ratio of their estimates; its interval
// resamples the numerator's runs and the denominator's runs independently and takes the ratio of
// the two resampled estimates. Latency percentiles resample in two stages: the processes, then the
// samples within each.
const { seededRandom } = require('./seeded-random');

const BOOTSTRAP_RESAMPLES = 2000;
// p99.9 is shown only from this many pooled samples up (ten beyond it); below, the max is shown.
const P999_MIN_SAMPLES = 10000;
const BOOTSTRAP_SEED = 13;

// The value at `fraction` of sorted values, linear between neighbours.
function quantileSorted(sorted, fraction) {
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * fraction;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

// The same value as quantileSorted, from unsorted values, which it reorders: the neighbours around
// the position are found by selection (Hoare's, with a median-of-three pivot), not a whole sort.
function quantileSelected(values, fraction) {
  if (values.length === 0) return null;
  const position = (values.length - 1) * fraction;
  const low = Math.floor(position);
  const lowValue = selectInPlace(values, low);
  if (low === position) return lowValue;
  let next = Infinity;
  for (let k = low + 1; k < values.length; k++) if (values[k] < next) next = values[k];
  return lowValue + (next - lowValue) * (position - low);
}

// Reorders `values` so that values[k] is the k-th smallest, none after it smaller, none before it
// larger; returns values[k].
function selectInPlace(values, k) {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    const middle = (left + right) >> 1;
    const [a, b, c] = [values[left], values[middle], values[right]];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k];
}

function finite(values) {
  return (values ?? []).filter((v) => Number.isFinite(v));
}

// Draws values.length values from `values` with replacement into out, from out[offset] on.
function resampleInto(values, random, out, offset = 0) {
  for (let k = 0; k < values.length; k++) out[offset + k] = values[Math.floor(random() * values.length)];
  return out;
}

function resample(values, random) {
  return resampleInto(values, random, new Array(values.length));
}

// The best of runs: the largest finite value, null for none.
function best(values) {
  const xs = finite(values);
  return xs.length ? Math.max(...xs) : null;
}

const STATISTICS = { median, best };
// The statistic a figure's processes are summed up by, in its interval ({ statistic: 'best' }; a
// median says nothing).
const marked = (statistic) => (statistic === 'median' ? {} : { statistic });

// { median, lo, hi, n }: the median of `values` (or their best: statistic 'best') and its
// bootstrap 95% interval. One value: the interval is that value (n says how little it rests on).
// None: null. A best's interval never reaches above the best itself.
function bootstrapMedian(values, { resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED, statistic = 'median' } = {}) {
  const of = STATISTICS[statistic];
  const xs = finite(values);
  if (xs.length === 0) return null;
  const random = seededRandom(seed);
  const estimates = [];
  for (let r = 0; r < resamples; r++) estimates.push(of(resample(xs, random)));
  estimates.sort((a, b) => a - b);
  return { median: of(xs), lo: quantileSorted(estimates, 0.025), hi: quantileSorted(estimates, 0.975), n: xs.length, ...marked(statistic) };
}

// The ratio of the medians (or bests) of two sets of runs, with its bootstrap interval (both sides
// resampled independently). null when either side is empty or the denominator's estimate is not
// positive.
function bootstrapRatio(numerator, denominator, { resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED, statistic = 'median' } = {}) {
  const of = STATISTICS[statistic];
  const a = finite(numerator);
  const b = finite(denominator);
  if (a.length === 0 || b.length === 0 || !(of(b) > 0)) return null;
  const random = seededRandom(seed);
  const ratios = [];
  for (let r = 0; r < resamples; r++) ratios.push(of(resample(a, random)) / of(resample(b, random)));
  ratios.sort((x, y) => x - y);
  return { median: of(a) / of(b), lo: quantileSorted(ratios, 0.025), hi: quantileSorted(ratios, 0.975), n: Math.min(a.length, b.length), ...marked(statistic) };
}

// Throughput figures and their ratios: the best of the processes (see the top).
const THROUGHPUT = { statistic: 'best' };
const bootstrapThroughput = (values) => bootstrapMedian(values, THROUGHPUT);
const throughputRatio = (numerator, denominator) => bootstrapRatio(numerator, denominator, THROUGHPUT);

// The difference of the medians of two sets of runs, with its bootstrap interval (both sides
// resampled independently). null when either side is empty.
function bootstrapDifference(minuend, subtrahend, { resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED } = {}) {
  const a = finite(minuend);
  const b = finite(subtrahend);
  if (a.length === 0 || b.length === 0) return null;
  const random = seededRandom(seed);
  const differences = [];
  for (let r = 0; r < resamples; r++) differences.push(median(resample(a, random)) - median(resample(b, random)));
  differences.sort((x, y) => x - y);
  return { median: median(a) - median(b), lo: quantileSorted(differences, 0.025), hi: quantileSorted(differences, 0.975), n: Math.min(a.length, b.length) };
}

// The sets of samples that are not empty, and the percentile of all of them pooled.
function pooledPercentile(sampleSets, fraction) {
  const sets = sampleSets.filter((set) => set?.length);
  return { sets, value: sets.length ? quantileSorted(Float64Array.from(sets.flat()).sort(), fraction) : null };
}

// `resamples` bootstrap estimates of a pooled percentile: each resamples the processes (sets),
// then the samples within each, from `random`.
function percentileResamples(sets, fraction, random, resamples) {
  const estimates = [];
  // One buffer for every resample, as large as the largest (every set drawn the longest one): the
  // report resamples hundreds of thousands of samples for each latency percentile.
  const buffer = new Float64Array(sets.length * Math.max(...sets.map((set) => set.length)));
  for (let r = 0; r < resamples; r++) {
    let size = 0;
    for (const set of resample(sets, random)) {
      resampleInto(set, random, buffer, size);
      size += set.length;
    }
    estimates.push(quantileSelected(buffer.subarray(0, size), fraction));
  }
  return estimates;
}

// A latency percentile over several processes' samples: the percentile of all samples pooled,
// with an interval that resamples the processes, then the samples within each. A tail percentile
// of the pooled samples rests on all of them: the median of each process's own p99 rests on the
// few largest samples of each, which one timer stall of the machine sets.
function bootstrapPercentile(sampleSets, fraction, { resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED } = {}) {
  const { sets, value } = pooledPercentile(sampleSets, fraction);
  if (sets.length === 0) return null;
  const estimates = percentileResamples(sets, fraction, seededRandom(seed), resamples).sort((a, b) => a - b);
  const samples = sets.reduce((sum, set) => sum + set.length, 0);
  return { median: value, lo: quantileSorted(estimates, 0.025), hi: quantileSorted(estimates, 0.975), n: sets.length, samples };
}

// The difference of two pooled percentiles (bootstrapPercentile's), each side resampled on its own.
function bootstrapPercentileDifference(minuendSets, subtrahendSets, fraction, { resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED } = {}) {
  const a = pooledPercentile(minuendSets, fraction);
  const b = pooledPercentile(subtrahendSets, fraction);
  if (a.sets.length === 0 || b.sets.length === 0) return null;
  const random = seededRandom(seed);
  const left = percentileResamples(a.sets, fraction, random, resamples);
  const right = percentileResamples(b.sets, fraction, random, resamples);
  const differences = left.map((x, r) => x - right[r]).sort((x, y) => x - y);
  return { median: a.value - b.value, lo: quantileSorted(differences, 0.025), hi: quantileSorted(differences, 0.975), n: Math.min(a.sets.length, b.sets.length) };
}

const overlaps = (a, b) => Boolean(a && b) && a.lo <= b.hi && b.lo <= a.hi;

// The best of `rows` by `pick(row)` (an interval), and every row whose interval overlaps the best
// one's: a winner only when that list holds the best alone. `lower`: smaller is better.
function bestWithTies(rows, pick, lower) {
  const candidates = rows.filter((r) => pick(r) && Number.isFinite(pick(r).median));
  if (candidates.length === 0) return null;
  const sorted = [...candidates].sort((a, b) => (lower ? pick(a).median - pick(b).median : pick(b).median - pick(a).median));
  const best = sorted[0];
  const tied = sorted.filter((r) => overlaps(pick(r), pick(best)));
  return { best, tied, winner: tied.length === 1 ? best : null };
}

// Whether an interval meets a goal: 'met' when all of it does, 'not met' when none of it does,
// 'undecided' when the goal lies inside it, or when there is no interval.
function verdict(interval, goal, atLeast = true) {
  if (!interval || !Number.isFinite(interval.lo) || !Number.isFinite(interval.hi)) return 'undecided';
  const [lo, hi] = [interval.lo, interval.hi];
  if (atLeast ? lo >= goal : hi <= goal) return 'met';
  if (atLeast ? hi < goal : lo > goal) return 'not met';
  return 'undecided';
}

// One entry of docs/report/targets.json: { name, goal, goalKind, estimate, lo, hi, verdict },
// goalKind 'min' (the figure must be at least the goal) or 'max' (at most). `why` stays undecided
// with a reason (a bound the run did not reach, say) whatever the interval says.
// Fewer processes than MIN_PROCESSES decide nothing: the verdict stays undecided, with that reason.
const MIN_PROCESSES = 3;
function targetEntry(name, goal, goalKind, interval, reason = null) {
  const finiteOrNull = (v) => (Number.isFinite(v) ? v : null);
  const few = interval && interval.n < MIN_PROCESSES ? `${interval.n} process${interval.n === 1 ? '' : 'es'}: fewer than ${MIN_PROCESSES} decide nothing` : null;
  const why = reason ?? few;
  const entry = {
    name,
    goal,
    goalKind,
    estimate: finiteOrNull(interval?.median),
    lo: finiteOrNull(interval?.lo),
    hi: finiteOrNull(interval?.hi),
    verdict: why ? 'undecided' : verdict(interval, goal, goalKind === 'min'),
  };
  if (why) entry.why = why;
  if (interval?.n !== undefined) entry.processes = interval.n;
  return entry;
}

// A ratio of two latency intervals taken conservatively: its interval runs from the lowest
// numerator over the highest denominator to the highest over the lowest, so that it lies wholly
// below 1 exactly when the numerator's interval lies wholly below the denominator's.
function intervalRatio(a, b) {
  if (!a || !b || !(b.median > 0) || !(b.lo > 0)) return null;
  return { median: a.median / b.median, lo: a.lo / b.hi, hi: a.hi / b.lo, n: Math.min(a.n, b.n) };
}

function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// The run whose `key` is the median of the repeats (the lower middle one for an even count), so
// that every figure in a row comes from one real run rather than a mix of runs.
function medianRun(runs, key) {
  const good = runs.filter((run) => !run.error && Number.isFinite(key(run)));
  if (good.length === 0) return null;
  const sorted = [...good].sort((a, b) => key(a) - key(b));
  return sorted[(sorted.length - 1) >> 1];
}

const ratio = (value, base) => (Number.isFinite(value) && base > 0 ? value / base : null);

// Items per wake-up: how much coalescing a mechanism did.
function coalescing(stats) {
  return {
    meanItemsPerWakeup: stats.wakeups ? stats.delivered / stats.wakeups : 0,
    maxItemsPerWakeup: stats.maxItemsPerWakeup,
  };
}

// Run by run: each run's items per second over the floor's run of the same round (both fresh
// processes, minutes apart at most), for the rounds both have.
function perRound(runs, floorByRound) {
  return runs
    .filter((run) => floorByRound.has(run.round))
    .map((run) => ({ round: run.round, ratio: run.deliveredPerSec / floorByRound.get(run.round) }));
}

const good = (runs) => runs.filter((run) => !run.error && !(run.problems?.length) && !run.disturbed);
// Every run that ran to the end, checks failed or not: chapter 0's latency, whose bug is the point.
const finished = (runs) => runs.filter((run) => !run.error && !run.disturbed);

function floors(results) {
  const of = (kind, pick = () => true) => results.filter((r) => r.job.kind === kind && pick(r.job));
  const values = (entry, key) => (entry ? good(entry.runs).map(key) : []);
  const jsCallRuns = (api, callsPerScope) =>
    values(of('js-call-floor', (job) => (job.api ?? 'node-api') === api && job.callsPerScope === callsPerScope)[0], (run) => run.callsPerSec);
  const runs = {};
  const byApi = {};
  for (const api of ['node-api', 'v8']) {
    runs[`${api}/1`] = jsCallRuns(api, 1);
    runs[`${api}/1000`] = jsCallRuns(api, 1000);
    byApi[api] = { perItemScope: best(runs[`${api}/1`]), best: best(runs[`${api}/1000`]) };
  }
  runs.jsLoop = values(of('js-loop-floor', (job) => job.callback === 'checks')[0], (run) => run.itemsPerSec);
  runs.jsLoopSum = values(of('js-loop-floor', (job) => job.callback === 'sum')[0], (run) => run.itemsPerSec);
  const native = (floor) => of('native-floor', (job) => job.floor === floor)[0];
  const bench = (run) => run.benchmarks?.[0];
  runs.ring = values(native('ring'), (run) => bench(run)?.items_per_second);
  // The V8 JS-call floor's runs by round, for ratios taken round by round (see perRound).
  const v8Entry = of('js-call-floor', (job) => (job.api ?? 'node-api') === 'v8' && job.callsPerScope === 1000)[0];
  const byRound = { 'v8/1000': new Map(v8Entry ? good(v8Entry.runs).map((run) => [run.round, run.callsPerSec]) : []) };
  const latencyFloor = (floor) => {
    const entry = native(floor);
    if (!entry) return null;
    const ok = good(entry.runs).filter(bench);
    const counter = (key) => bootstrapMedian(ok.map((run) => bench(run)[key] * 1000)); // µs → ns
    return { p50: counter('p50_us'), p99: counter('p99_us'), sameCpuShare: median(ok.map((run) => bench(run).same_cpu_share)), n: ok.length };
  };
  const bests = Object.values(byApi).map((f) => f.best).filter(Number.isFinite);
  const bestApi = ['node-api', 'v8'].reduce((best, api) => (!best || byApi[api].best > byApi[best].best ? api : best), null);
  const sleeper = of('sleeper')[0];
  const sleeperRun = sleeper ? medianRun(sleeper.runs, (run) => run.latenessNs?.p50) : null;
  return {
    jsCall: byApi,
    // The best any per-item mechanism could do, whatever its API.
    jsCallBest: bests.length ? Math.max(...bests) : null,
    jsCallBestApi: bests.length ? bestApi : null,
    jsLoop: best(runs.jsLoop),
    jsLoopSum: best(runs.jsLoopSum),
    ring: best(runs.ring),
    runs,
    byRound,
    intervals: Object.fromEntries(Object.entries(runs).map(([key, list]) => [key, bootstrapThroughput(list)])),
    uvPingPongNs: median(values(of('uv-ping-pong')[0], (run) => run.roundTripNs)),
    uvPingPong: bootstrapMedian(values(of('uv-ping-pong')[0], (run) => run.roundTripNs)),
    latencyFloors: {
      crossCpu: latencyFloor('eventfdCrossCpu'),
      sameCpu: latencyFloor('eventfdSameCpu'),
      unpinned: latencyFloor('eventfdUnpinned'),
    },
    sleeperLatenessNs: sleeperRun?.latenessNs ?? null,
  };
}

// The floor a target is compared with: the best form of the JS-call floor through its own API
// (Node-API or V8); JS-only alternatives, which call from JS, get the overall best.
function floorFor(target, floor) {
  return floor.jsCall[target.api]?.best ?? floor.jsCallBest;
}

function streamEntries(results, targetName, scenario, pick = () => true) {
  return results.filter(
    (r) => r.job.kind === 'stream' && r.job.targetName === targetName && r.job.scenario === scenario && pick(r.job),
  );
}

function bestOf(entry, key = (run) => run.deliveredPerSec) {
  return entry ? medianRun(entry.runs, key) : null;
}

// The floor that bounds a target's throughput, and the runs of it: a per-item chapter calls JS
// from C++, so the JS-call floor of its API (scope per 1000 calls); chapter 5's trampoline and
// the JS-only alternatives call the per-item callback from a JS loop, so the JS-loop floor; a
// batch callback's lightest form (batch-sum) is bounded by the native ring floor.
function boundingFloor(target, floor) {
  if (target.callback === 'batch') return { key: 'ring', name: 'native ring floor', figure: 'batchSum' };
  if (target.technique === 'trampoline' || target.kind === 'alternative') return { key: 'jsLoop', name: 'JS-loop floor', figure: 'throughput' };
  const api = floor.jsCall[target.api] ? target.api : floor.jsCallBestApi ?? 'node-api';
  return { key: `${api}/1000`, name: `JS-call floor (${api})`, figure: 'throughput' };
}

// A run over what it sampled right after each of its samples (bench/run-one.js: `key` is
// floorBeside, a JS-call floor, or streamBeside, another target's stream), with its bootstrap
// interval over the processes. Each pair of samples is a ratio at one speed of the machine; a
// process gives the median of its pairs, and the estimate is the median of the processes. A ratio
// of the process's two bests would not do: where the machine changed speed within the process,
// one side's best came from the fast spell and the other's not (05-fast-path: 11 M items/s at best
// against a floor whose last sample, alone, ran at 17).
function overBeside(entry, key) {
  const paired = (run) => Array.isArray(run[key]?.samplesPerSec) && run[key].samplesPerSec.length === run.samplesPerSec?.length;
  const runs = entry ? good(entry.runs).filter(paired) : [];
  const byProcess = runs.map((run) => median(run.samplesPerSec.map((rate, k) => rate / run[key].samplesPerSec[k])));
  const interval = bootstrapMedian(byProcess);
  return interval && { ...interval, byProcess };
}

// One row per target: the figures every table of the report draws from.
function summarizeTarget(results, target, floor) {
  const latencyEntry = streamEntries(results, target.name, 'latency')[0];
  const latencyRun = bestOf(latencyEntry, (run) => run.latencyNs?.p50);
  const unpacedEntry = (producers) =>
    streamEntries(results, target.name, 'unpaced', (job) => (job.options.producers ?? 1) === producers)[0];
  const producersEntry = (producers) =>
    streamEntries(results, target.name, 'producers', (job) => (job.options.producers ?? 1) === producers)[0];
  const unpaced = (producers) => bestOf(unpacedEntry(producers));
  const speeds = (entry) => (entry ? good(entry.runs).map((run) => run.deliveredPerSec) : []);
  const stampedEntry = streamEntries(results, target.name, 'stamped')[0];
  const busyEntry = streamEntries(results, target.name, 'busy')[0];
  const busyGrowth = (run) => run.peakRssBytes - run.rssBeforeBytes;
  const busy = busyEntry ? medianRun(good(busyEntry.runs), busyGrowth) : null;
  const sweep = [latencyRun && { rate: 1000, run: latencyRun }]
    .concat(
      streamEntries(results, target.name, 'sweep').map((entry) => ({ rate: entry.job.options.rate, run: bestOf(entry) })),
    )
    .filter((point) => point?.run)
    .sort((a, b) => (a.rate || Infinity) - (b.rate || Infinity));
  const oneEntry = unpacedEntry(1);
  const one = bestOf(oneEntry);
  const two = unpaced(2);
  const oneRuns = speeds(oneEntry);
  const sumEachEntry = streamEntries(results, target.name, 'sum-each')[0];
  const sumEachRuns = speeds(sumEachEntry);
  const batchSumEntry = streamEntries(results, target.name, 'batch-sum')[0];
  const batchSumRuns = speeds(batchSumEntry);
  const problems = results
    .filter((r) => r.job.targetName === target.name)
    .flatMap((r) => r.runs.flatMap((run) => (run.error ? [run.error] : run.problems ?? [])));
  // Latency: every sample of every process when the runs kept them, else each run's percentiles.
  // Chapter 0 (excluded from the contract) from every run that finished: its failed checks are
  // its bug, and leaving those runs out would hide it.
  const latencyRuns = latencyEntry ? (target.excluded ? finished : good)(latencyEntry.runs) : [];
  const sampleSets = latencyRuns.map((run) => run.samplesNs).filter((set) => set?.length);
  const latencyInterval = (fraction, key) =>
    sampleSets.length === latencyRuns.length && sampleSets.length
      ? bootstrapPercentile(sampleSets, fraction)
      : bootstrapMedian(latencyRuns.map((run) => run.latencyNs?.[key]));
  const bound = boundingFloor(target, floor);
  const boundRuns = floor.runs?.[bound.key] ?? [];
  const apiKey = `${floor.jsCall[target.api] ? target.api : floor.jsCallBestApi ?? 'node-api'}/1000`;
  const pooled = sampleSets.length ? sampleSets.flat().sort((a, b) => a - b) : null;
  const tail = pooled
    ? pooled.length >= P999_MIN_SAMPLES
      ? { label: 'p99.9', ns: quantileSorted(pooled, 0.999), samples: pooled.length }
      : { label: 'max', ns: pooled.at(-1), samples: pooled.length }
    : null;
  const producerRuns = (p) => speeds(producersEntry(p));
  const row = {
    name: target.name,
    kind: target.kind,
    semantics: target.semantics,
    excluded: target.excluded ?? null,
    technique: target.technique ?? null,
    latency: latencyRun?.latencyNs ?? null,
    latencyCI: latencyRuns.length ? { p50: latencyInterval(0.5, 'p50'), p99: latencyInterval(0.99, 'p99') } : null,
    latencyProcesses: latencyRuns.length,
    // p99.9 of the pooled samples where there are enough of them, else their max (see P999_MIN_SAMPLES).
    latencyTail: tail,
    // Every sample, pooled, for the CDF (not written to the page's tables).
    latencySamples: pooled,
    throughputRuns: oneRuns,
    // Each unpaced run's best sample: its items and wake-ups (coalescing per process).
    throughputRunsDetail: oneEntry ? good(oneEntry.runs).map((run) => ({ items: run.stats.delivered, wakeups: run.stats.wakeups })) : [],
    batchSumRuns,
    // The trampoline with the JS-call floor's own callback (adds each value).
    sumEachRuns,
    sumEachCI: bootstrapThroughput(sumEachRuns),
    // Over the JS-call floor sampled beside it, in the same processes (bench/harness.js,
    // HELD_TO_FLOOR): per-item mode's floor target.
    sumEachOverFloorBeside: overBeside(sumEachEntry, 'floorBeside'),
    // Unpaced, over another target's stream sampled beside it (bench/harness.js, PAIRED_WITH).
    overStreamBeside: overBeside(oneEntry, 'streamBeside'),
    // Each round's batch-sum over the same round's V8 JS-call floor: the worst of them is what
    // "in every run" is held to.
    batchSumOverV8ByRound: batchSumEntry ? perRound(good(batchSumEntry.runs), floor.byRound['v8/1000']) : [],
    throughput: best(oneRuns),
    throughputCI: bootstrapThroughput(oneRuns),
    throughput2: two?.deliveredPerSec ?? null,
    // The producers group: 1, 2, 4 and 8 producers, runs of one size per target.
    producers: Object.fromEntries(
      [1, 2, 4, 8].map((p) => [p, bootstrapThroughput(producerRuns(p))]).filter(([, interval]) => interval),
    ),
    producerItems: producersEntry(1)?.job.options.count ?? null,
    cpuMsPerMillion: one ? (one.cpuMs / one.stats.delivered) * 1e6 : null,
    api: target.api ?? 'node-api',
    callback: target.callback ?? 'per-item', // 'batch': one call per wake-up with typed arrays
    batchSum: best(batchSumRuns),
    batchSumCI: bootstrapThroughput(batchSumRuns),
    ofApiFloor: ratio(best(oneRuns), floorFor(target, floor)),
    ofApiFloorCI: throughputRatio(oneRuns, floor.runs?.[apiKey] ?? []),
    ofBestFloor: ratio(best(oneRuns), floor.jsCallBest),
    bound: {
      name: bound.name,
      figure: bound.figure,
      share: throughputRatio(bound.figure === 'batchSum' ? batchSumRuns : oneRuns, boundRuns),
    },
    // Stamped ÷ unstamped, one producer, both from the producers group: the same size, side by side.
    stampCost: throughputRatio(speeds(stampedEntry), producerRuns(1)),
    unpacedCoalescing: one ? coalescing(one.stats) : null,
    sweep: sweep.map(({ rate, run }) => ({
      rate,
      items: run.stats.sent,
      delivered: run.deliveredPerSec,
      p50: run.latencyNs?.p50 ?? null,
      p99: run.latencyNs?.p99 ?? null,
      ...coalescing(run.stats),
      dropped: run.stats.dropped,
      stranded: run.stats.stranded ?? 0, // chapter 0 only: items left in its queue for good
      peakQueueDepth: run.stats.peakQueueDepth,
      peakRssMiB: run.peakRssBytes / 2 ** 20,
      cpuMs: run.cpuMs,
    })),
    busyRuns: busyEntry
      ? good(busyEntry.runs).map((run) => ({
          rssGrowthMiB: busyGrowth(run) / 2 ** 20,
          peakQueueDepth: run.stats.peakQueueDepth,
          dropped: run.stats.dropped,
          items: busyEntry.job.options.count,
          offeredPerSec: busyEntry.job.options.rate,
          deliveredPerSec: run.deliveredPerSec,
        }))
      : [],
    busy: busy && {
      runs: good(busyEntry.runs).length,
      items: busyEntry.job.options.count,
      delivered: busy.deliveredPerSec,
      rssGrowthMiB: (busy.peakRssBytes - busy.rssBeforeBytes) / 2 ** 20,
      peakQueueDepth: busy.stats.peakQueueDepth,
      dropped: busy.stats.dropped,
      p99: busy.latencyNs?.p99 ?? null,
    },
    problems,
  };
  return row;
}

function summarize(report) {
  const floor = floors(report.results);
  const rows = report.targets.map((target) => summarizeTarget(report.results, target, floor));
  // The ratios across processes that chapter 5's targets are stated in, each from the same rounds
  // (see the top); per-item mode's are taken within processes (summarizeTarget, overBeside).
  for (const row of rows) {
    row.fastPath = {
      sumOverV8: throughputRatio(row.batchSumRuns, floor.runs['v8/1000']),
      sumEachOverV8: throughputRatio(row.sumEachRuns, floor.runs['v8/1000']),
    };
  }
  return { floor, rows };
}

// Chapter 5's targets, each an entry of docs/report/targets.json (targetEntry), in the order the
// report shows them. `ringSlots`: the ring's size in the busy run (chapter 5's default).
const RING_SLOTS = 65536;
// Whether a busy run's backlog would have outgrown the ring had the producer not waited: sending
// at its offered rate the producer would finish after items ÷ offered seconds; by then the main
// thread, at the rate it delivered, had taken at most delivered × that; if what is left exceeds
// the ring, the producer must have waited for room. (The peak a wake-up took, peakQueueDepth, can
// fall a little short of the ring even so: the producer refills it only after half is free.)
function ringBoundReached({ items, offeredPerSec, deliveredPerSec }, slots = RING_SLOTS) {
  if (!(offeredPerSec > 0) || !Number.isFinite(deliveredPerSec)) return false;
  return items - deliveredPerSec * (items / offeredPerSec) > slots;
}

function targetList({ floor, rows }) {
  const row = (name) => rows.find((r) => r.name === name);
  const fast = row('05-fast-path');
  if (!fast) return [];
  const batch = row('05-fast-path/batch');
  const trampoline = rows.find((r) => r.technique === 'trampoline');
  const others = rows.filter((r) => r.kind === 'chapter' && !r.excluded && r.callback !== 'batch' && !r.name.startsWith('05-') && r.latencyCI?.p50);
  const best = (key) => others.reduce((b, r) => (!b || r.latencyCI[key].median < b.latencyCI[key].median ? r : b), null);
  const bestP50 = best('p50');
  const bestP99 = best('p99');
  const scaled = (interval, factor) => interval && { ...interval, median: interval.median * factor, lo: interval.lo * factor, hi: interval.hi * factor };
  const list = [
    targetEntry("per-item mode, the floor's own callback (adds each value) ÷ the Node-API JS-call floor", 0.95, 'min', fast.sumEachOverFloorBeside),
    targetEntry('per-item mode ÷ 04-tsfn', 3.5, 'min', fast.overStreamBeside),
  ];
  if (trampoline) {
    list.push(targetEntry("trampoline, the floor's own callback (adds each value) ÷ the V8 JS-call floor", 4, 'min', trampoline.fastPath.sumEachOverV8));
    list.push(targetEntry('trampoline ÷ the JS-loop floor (same callback)', 0.8, 'min', trampoline.bound.share));
  }
  if (batch) list.push(targetEntry('batch mode, callback adds every value ÷ the V8 JS-call floor', 10, 'min', batch.fastPath.sumOverV8));
  // The name stays the same from run to run, so that two runs' targets can be set side by side;
  // which chapter was the best other one in this run is its own field.
  if (bestP50) list.push({ ...targetEntry("idle latency p50 ÷ the best other chapter's", 1, 'max', intervalRatio(fast.latencyCI.p50, bestP50.latencyCI.p50)), against: bestP50.name });
  if (bestP99) list.push({ ...targetEntry("idle latency p99 ÷ the best other chapter's", 1.5, 'max', intervalRatio(fast.latencyCI.p99, bestP99.latencyCI.p99)), against: bestP99.name });
  // Memory with the main thread behind: the busy run's RSS growth against twice the ring's bytes
  // (16 per slot with stamps). Decided only when every run reached the bound (ringBoundReached);
  // otherwise the figure says nothing about it.
  const busyRuns = fast.busyRuns ?? [];
  if (busyRuns.length) {
    const growth = bootstrapMedian(busyRuns.map((run) => run.rssGrowthMiB));
    const short = busyRuns.filter((run) => !ringBoundReached(run));
    const ringMiB = (RING_SLOTS * 16) / 2 ** 20;
    list.push(
      targetEntry('busy main thread: RSS growth, MiB (the backlog beyond the ring, the producer waiting)', 2 * ringMiB, 'max', growth,
        short.length ? `in ${short.length} of ${busyRuns.length} runs the main thread kept the backlog within the ring: the bound was not reached` : null),
    );
  }
  return list;
}

// Which mechanism to pick for what, read off the measured rows. Chapters only (alternatives are
// baselines), and not the chapter excluded from the contract (it is there to show its bugs). Each
// entry is { best, tied, winner }: a winner only when no other row's interval overlaps the best's.
function decisions({ floor, rows }) {
  // A batch callback takes typed arrays, not items: it is a different contract, chosen on its own.
  const valid = rows.filter((r) => r.kind === 'chapter' && !r.excluded && r.problems.length === 0);
  const chapters = valid.filter((r) => r.callback !== 'batch');
  const batches = valid.filter((r) => r.callback === 'batch');
  // Memory when the main thread falls behind, nothing dropped: every chapter whose busy run
  // dropped nothing, by its RSS growth (listed with the busy run's figures, not ranked).
  const bounded = chapters.filter((r) => r.busy && r.busy.dropped === 0);
  return {
    latency: bestWithTies(chapters, (r) => r.latencyCI?.p50, true),
    tail: bestWithTies(chapters, (r) => r.latencyCI?.p99, true),
    throughput: bestWithTies(chapters, (r) => r.throughputCI, false),
    memoryUnderLoad: bounded.sort((a, b) => a.busy.rssGrowthMiB - b.busy.rssGrowthMiB),
    cpu: bestWithTies(chapters, (r) => (Number.isFinite(r.cpuMsPerMillion) ? { median: r.cpuMsPerMillion, lo: r.cpuMsPerMillion, hi: r.cpuMsPerMillion } : null), true),
    batch: bestWithTies(batches, (r) => r.batchSumCI, false),
    floor,
  };
}

module.exports = {
  median,
  best,
  bootstrapThroughput,
  throughputRatio,
  medianRun,
  ratio,
  coalescing,
  floors,
  floorFor,
  boundingFloor,
  summarize,
  summarizeTarget,
  decisions,
  seededRandom,
  quantileSorted,
  quantileSelected,
  bootstrapMedian,
  bootstrapRatio,
  bootstrapDifference,
  bootstrapPercentile,
  bootstrapPercentileDifference,
  overlaps,
  bestWithTies,
  verdict,
  targetEntry,
  targetList,
  ringBoundReached,
  intervalRatio,
  finished,
  good,
  P999_MIN_SAMPLES,
  MIN_PROCESSES,
  RING_SLOTS,
  BOOTSTRAP_RESAMPLES,
  BOOTSTRAP_SEED,
};
