'use strict';
// Overload: for OVERLOAD_SECONDS (default 5) one producer offers OVERLOAD_RATE items/s (default
// 1 000 000) to a callback that takes OVERLOAD_CALLBACK_US µs an item (default 20, so it can take
// at most 50 000 a second). Every target runs in a process of its own whose RSS is sampled from
// outside every 100 ms. The table shows where RSS stays flat (a bounded queue: chapter 4 with
// queueSize, blocking or not; a coalescing variant) and how fast it grows where the queue is
// unbounded.
//   OVERLOAD_SECONDS=3 node tests/reliability/overload.js
// Asserted (counts, not times): every run ends by itself with sent === delivered + dropped and
// its items in order; a target that bounds its queue (see backpressure() below) never has more
// items between sent and handled than that bound allows when the overload ends. RSS is measured
// and shown, not asserted. Writes build/results/overload.json.
const path = require('node:path');
const { conformanceTargets } = require('../../common/chapters');
const support = require('./lib/support');

const SECONDS = support.positiveIntegerFromEnv('OVERLOAD_SECONDS', 5);
const RATE = support.positiveIntegerFromEnv('OVERLOAD_RATE', 1_000_000);
const CALLBACK_US = support.positiveIntegerFromEnv('OVERLOAD_CALLBACK_US', 20);
const PRODUCERS = 1;
const SAMPLE_MS = 100;
const CHILD = path.join(__dirname, 'overload-child.js');
const TIMEOUT_MS = 120_000 + SECONDS * 1000; // only so that a hang fails

// chapters/05-fast-path/start-options.js: slots per producer's ring when ringSize is not given.
const DEFAULT_RING_SIZE = 65536;

// What holds the backlog down for a target, and the most items that may then be between sent
// and handled (queued, being pushed by a producer, or taken by the wake-up in progress); `bound`
// is null where nothing holds it down. Read off the options the module accepts (optionNames) and
// the target's startOptions:
//   queueSize > 0 (chapter 4)  the ThreadSafeFunction's queue, plus one item per producer
//                              waiting for room or being refused, plus the one in the callback;
//   ringSize (chapter 5)       each producer's ring, plus up to a ring's worth that the wake-up
//                              in progress took out of it (the batch mode copies it into a
//                              Float64Array), plus one item per producer waiting for room;
//   latest-only                the mechanism keeps only the latest item (no count to assert).
function backpressure(target, optionNames) {
  const { queueSize = 0, blocking = true, ringSize = DEFAULT_RING_SIZE } = target.startOptions;
  if (queueSize > 0) {
    const how = blocking ? 'bounded queue, the producer waits' : 'bounded queue, full drops';
    return { kind: how, bound: queueSize + PRODUCERS + 1 };
  }
  if (optionNames.includes('ringSize')) {
    return { kind: `bounded rings of ${ringSize}, the producer waits`, bound: 2 * ringSize * PRODUCERS + PRODUCERS };
  }
  if (target.semantics === 'latest-only') return { kind: 'coalescing, keeps the latest', bound: null };
  return { kind: 'unbounded queue', bound: null };
}

// The highest sample in (from, to], in MiB; null when there is none.
function peakMiB(samples, from, to) {
  const inside = samples.filter(([t]) => t > from && t <= to).map(([, kib]) => kib);
  return inside.length ? +(Math.max(...inside) / 1024).toFixed(1) : null;
}

async function overloadOne(target) {
  const events = {};
  const job = { target, seconds: SECONDS, rate: RATE, callbackUs: CALLBACK_US };
  const result = await support.runNode([CHILD, JSON.stringify(job)], {
    timeoutMs: TIMEOUT_MS,
    sampleRssMs: SAMPLE_MS,
    onLine(text, ms) {
      try {
        const value = JSON.parse(text);
        if (value.event) events[value.event] = { ms, ...value };
      } catch {
        // not a JSON line
      }
    },
  });
  const report = support.lastJson(result.stdout);
  const failures = [];
  if (result.timedOut || result.signal || result.code !== 0 || !report?.stats || !events['overload-end']) {
    failures.push(`${support.describeExit(result)}: ${result.stderr.trim().slice(-500)}`);
    return { target: target.name, failures, exit: support.describeExit(result), exitKind: support.exitKind(result) };
  }
  failures.push(...report.problems);
  const startedMs = events.started.ms;
  const endMs = events['overload-end'].ms;
  const atEnd = events['overload-end'].stats;
  const backlog = atEnd.sent - atEnd.delivered - atEnd.dropped;
  const { kind, bound } = backpressure(target, events.started.optionNames);
  if (bound !== null && backlog > bound) {
    failures.push(`${kind}: at most ${bound} items may be outstanding, yet ${backlog} were`);
  }
  const rssPerSecondMiB = [];
  for (let s = 1; s <= SECONDS; s++) {
    rssPerSecondMiB.push(peakMiB(result.rssSamples, startedMs + (s - 1) * 1000, startedMs + s * 1000));
  }
  const firstSecond = rssPerSecondMiB[0];
  const lastSecond = rssPerSecondMiB.at(-1);
  return {
    target: target.name,
    semantics: target.semantics,
    startOptions: target.startOptions,
    onStop: target.onStop,
    backpressure: kind,
    backlogBound: bound,
    rssBeforeMiB: +(events.started.rssKib / 1024).toFixed(1),
    rssPerSecondMiB,
    growthMiBPerSecond:
      SECONDS > 1 && firstSecond !== null && lastSecond !== null
        ? +((lastSecond - firstSecond) / (SECONDS - 1)).toFixed(1)
        : null,
    peakRssMiB: +(report.maxRssKib / 1024).toFixed(1),
    atOverloadEnd: { ...atEnd, backlog },
    overloadMs: Math.round(endMs - startedMs),
    final: report.stats,
    drainMs: Math.round(result.ms - endMs),
    exit: support.describeExit(result),
    exitKind: support.exitKind(result),
    failures,
  };
}

async function main() {
  const runs = [];
  for (const target of conformanceTargets()) {
    const run = await overloadOne(target);
    runs.push(run);
    const status = run.failures.length === 0 ? 'ok' : `FAILED: ${run.failures.join('; ')}`;
    console.log(`overload ${run.target}: ${status}`);
  }
  console.log(
    `\n${SECONDS} s at ${RATE} items/s offered, callback ${CALLBACK_US} µs an item, ${PRODUCERS} producer; RSS in MiB`,
  );
  const seconds = Array.from({ length: SECONDS }, (_, s) => `${s + 1} s`);
  support.printTable(
    ['target', 'before', ...seconds, 'MiB/s', 'sent', 'delivered', 'dropped', 'backlog', 'bound', 'result'],
    runs.map((r) =>
      r.rssPerSecondMiB
        ? [
            r.target,
            r.rssBeforeMiB,
            ...r.rssPerSecondMiB.map((v) => v ?? '-'),
            r.growthMiBPerSecond ?? '-',
            r.atOverloadEnd.sent,
            r.atOverloadEnd.delivered,
            r.atOverloadEnd.dropped,
            r.atOverloadEnd.backlog,
            r.backlogBound ?? '-',
            r.failures.length === 0 ? 'ok' : 'FAILED',
          ]
        : [r.target, ...Array(SECONDS + 7).fill('-'), 'FAILED'],
    ),
  );
  const failed = runs.filter((r) => r.failures.length > 0);
  const file = support.writeResult('overload', {
    seconds: SECONDS,
    rate: RATE,
    callbackUs: CALLBACK_US,
    producers: PRODUCERS,
    sampleMs: SAMPLE_MS,
    runs,
    itemsPushed: runs.reduce((sum, r) => sum + (r.final?.sent ?? 0), 0),
    ...support.exitCounts(runs),
    failed: failed.length,
  }, { sizePrefixes: ['OVERLOAD_'] });
  support.finish(`${runs.length} runs, ${failed.length} failed`, failed.length, file);
}

main();
