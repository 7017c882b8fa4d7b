'use strict';
// Turns the harness's raw results into the report's figures. Pure functions of their input, so
// tests/harness.test.js checks them on synthetic results.

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

function floors(results) {
  const of = (kind, pick) => results.filter((r) => r.job.kind === kind && pick(r.job));
  const jsCall = (api, callsPerScope) => {
    const entry = of('js-call-floor', (job) => (job.api ?? 'node-api') === api && job.callsPerScope === callsPerScope)[0];
    return entry ? medianRun(entry.runs, (run) => run.callsPerSec)?.callsPerSec ?? null : null;
  };
  const byApi = Object.fromEntries(
    ['node-api', 'v8'].map((api) => [api, { perItemScope: jsCall(api, 1), best: jsCall(api, 1000) }]),
  );
  const bests = Object.values(byApi).map((f) => f.best).filter(Number.isFinite);
  const pingPong = of('uv-ping-pong', () => true)[0];
  const noise = of('sleeper', () => true)[0]?.runs[0]?.latenessNs ?? null;
  return {
    jsCall: byApi,
    // The best any per-item mechanism could do, whatever its API.
    jsCallBest: bests.length ? Math.max(...bests) : null,
    uvPingPongNs: pingPong ? medianRun(pingPong.runs, (r) => r.roundTripNs)?.roundTripNs ?? null : null,
    sleeperLatenessNs: noise,
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

// One row per target: the figures every table of the report draws from.
function summarizeTarget(results, target, floor) {
  const latencyRun = bestOf(streamEntries(results, target.name, 'latency')[0]);
  const unpaced = (producers) =>
    bestOf(streamEntries(results, target.name, 'unpaced', (job) => (job.options.producers ?? 1) === producers)[0]);
  const stampedUnpaced = bestOf(streamEntries(results, target.name, 'sweep', (job) => job.options.rate === 0)[0]);
  const busy = bestOf(streamEntries(results, target.name, 'busy')[0]);
  const sweep = [latencyRun && { rate: 1000, run: latencyRun }]
    .concat(
      streamEntries(results, target.name, 'sweep').map((entry) => ({ rate: entry.job.options.rate, run: bestOf(entry) })),
    )
    .filter((point) => point?.run)
    .sort((a, b) => (a.rate || Infinity) - (b.rate || Infinity));
  const one = unpaced(1);
  const two = unpaced(2);
  const problems = results
    .filter((r) => r.job.targetName === target.name)
    .flatMap((r) => r.runs.flatMap((run) => (run.error ? [run.error] : run.problems ?? [])));
  return {
    name: target.name,
    kind: target.kind,
    semantics: target.semantics,
    excluded: target.excluded ?? null,
    latency: latencyRun?.latencyNs ?? null,
    throughput: one?.deliveredPerSec ?? null,
    throughput2: two?.deliveredPerSec ?? null,
    cpuMsPerMillion: one ? (one.cpuMs / one.stats.delivered) * 1e6 : null,
    api: target.api ?? 'node-api',
    callback: target.callback ?? 'per-item', // 'batch': one call per wake-up with typed arrays
    batchSum: bestOf(streamEntries(results, target.name, 'batch-sum')[0])?.deliveredPerSec ?? null,
    ofApiFloor: ratio(one?.deliveredPerSec, floorFor(target, floor)),
    ofBestFloor: ratio(one?.deliveredPerSec, floor.jsCallBest),
    stampCost: stampedUnpaced && one ? ratio(stampedUnpaced.deliveredPerSec, one.deliveredPerSec) : null,
    unpacedCoalescing: one ? coalescing(one.stats) : null,
    sweep: sweep.map(({ rate, run }) => ({
      rate,
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
    busy: busy && {
      delivered: busy.deliveredPerSec,
      rssGrowthMiB: (busy.peakRssBytes - busy.rssBeforeBytes) / 2 ** 20,
      peakQueueDepth: busy.stats.peakQueueDepth,
      dropped: busy.stats.dropped,
      p99: busy.latencyNs?.p99 ?? null,
    },
    problems,
  };
}

function summarize(report) {
  const floor = floors(report.results);
  const rows = report.targets.map((target) => summarizeTarget(report.results, target, floor));
  return { floor, rows };
}

// Which mechanism to pick for what, read off the measured rows. Chapters only (alternatives are
// baselines), and not the chapter excluded from the contract (it is there to show its bugs).
function decisions({ floor, rows }) {
  // A batch callback takes typed arrays, not items: it is a different contract, chosen on its own.
  const valid = rows.filter((r) => r.kind === 'chapter' && !r.excluded && r.problems.length === 0);
  const chapters = valid.filter((r) => r.callback !== 'batch');
  const batches = valid.filter((r) => r.callback === 'batch');
  const by = (pick, better) => {
    const candidates = chapters.filter((r) => Number.isFinite(pick(r)));
    if (candidates.length === 0) return null;
    return candidates.reduce((best, r) => (better(pick(r), pick(best)) ? r : best));
  };
  const lowest = (a, b) => a < b;
  const highest = (a, b) => a > b;
  return {
    latency: by((r) => r.latency?.p50, lowest),
    tail: by((r) => r.latency?.p99, lowest),
    throughput: by((r) => r.throughput, highest),
    // Backpressure: the least memory when the main thread falls behind, among chapters that
    // deliver every item (a queue that drops when full bounds memory too, by losing items).
    memoryUnderLoad: by((r) => (r.semantics === 'every-item' && r.busy?.dropped === 0 ? r.busy.rssGrowthMiB : NaN), lowest),
    // Chapters within 10% of the lowest p50: on a shared VM, a difference smaller than that
    // between two runs is not a ranking.
    latencyTies: chapters.filter((r) => r.latency && r.latency.p50 <= 1.1 * Math.min(...chapters.map((c) => c.latency?.p50 ?? Infinity))),
    cpu: by((r) => r.cpuMsPerMillion, lowest),
    batch: batches.reduce((best, r) => (!best || r.throughput > best.throughput ? r : best), null),
    floor,
  };
}

module.exports = { median, medianRun, ratio, coalescing, floors, floorFor, summarize, summarizeTarget, decisions };
