'use strict';
// Writes docs/report/ from bench/results/latest.json: README.md (tables, decision guide, the
// machine), SVG charts (vega-lite rendered in Node, no browser) and results.json (the raw data).
// Prints a short summary table in the terminal.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { summarize, decisions, ratio, targetList, P999_MIN_SAMPLES } = require('./analysis');
const { label, targetsOf, cellText } = require('../matrix/summary');
const charts = require('./charts');
const flood = require('./flood-report');
const { childJob } = require('./harness');

const ROOT = path.join(__dirname, '..');
// RESULTS and REPORT_OUT in the environment read and write elsewhere (a smoke run, say).
const RESULTS = process.env.RESULTS ?? path.join(__dirname, 'results', 'latest.json');
const FLOOD_RESULTS = process.env.FLOOD_RESULTS ?? path.join(__dirname, 'results', 'flood.json');
const OUT = process.env.REPORT_OUT ?? path.join(ROOT, 'docs', 'report');

const us = (ns) => (Number.isFinite(ns) ? (ns / 1000).toFixed(ns < 10000 ? 1 : 0) : '—');
const millions = (perSec) => (Number.isFinite(perSec) ? (perSec / 1e6).toFixed(2) : '—');
const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const percent = (value) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : '—');
const perSecond = (value) => (Number.isFinite(value) ? String(Math.round(value)) : '—');
const times = (value) => (Number.isFinite(value) ? `${value.toFixed(1)}×` : '—');
const rateName = (rate) => (rate === 0 ? 'unpaced' : rate >= 1e6 ? `${rate / 1e6}M/s` : `${rate / 1000}k/s`);

// A median with its bootstrap 95% interval: "12.3 [11.8–13.0]"; one run: "12.3 (1 run)".
function withCi(interval, format) {
  if (!interval || !Number.isFinite(interval.median)) return '—';
  if (interval.n < 2) return `${format(interval.median)} (1 run)`;
  return `${format(interval.median)} [${format(interval.lo)}–${format(interval.hi)}]`;
}
const ciMillions = (interval) => withCi(interval, millions);
const ciUs = (interval) => withCi(interval, us);
// Each run's figure in millions, and how far apart the fastest and the slowest are.
function spread(runs) {
  if (!runs?.length) return '—';
  const ratio = Math.max(...runs) / Math.min(...runs);
  return `${runs.map((v) => (v / 1e6).toFixed(0)).join(', ')} (the fastest ${ratio.toFixed(2)}× the slowest)`;
}

const ciTimes = (interval) => withCi(interval, (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—'));
const ciPercent = (interval) => withCi(interval, percent);

// What each chapter costs besides its figures, in the words of its page and docs/comparison.md:
// the decision guide states it beside every entry. Exact names first, then the chapter.
const TRADE_OFFS = {
  '01-libev-shim': 'an unbounded queue (memory grows while JS falls behind) and the V8 API through nan',
  '02-uv-async': 'an unbounded queue: memory grows while JS falls behind',
  '03-async-worker': 'holds a libuv threadpool thread for the stream\'s whole life: not for endless streams (four of them starve `fs` and `crypto` with the default pool of four); unbounded',
  '03-async-worker/progress-worker': 'latest-only: every item but the latest is dropped by design; holds a threadpool thread as chapter 3 does',
  '03-async-worker/nan': 'holds a libuv threadpool thread for the stream\'s whole life, as chapter 3 does: not for endless streams; unbounded',
  '04-tsfn': "Node's queue, unbounded unless `queueSize`; an exception in `call_js` is swallowed unless the addon reports it",
  '04-tsfn/untyped': 'a `std::function` allocated per call; unbounded',
  '04-tsfn/doorbell': "the chapter's own queue behind a thread-safe function that only rings; unbounded",
  '04-tsfn/blocking-bounded': 'producers wait when the queue is full (backpressure); a blocking call from the main thread with a full queue deadlocks',
  '04-tsfn/nonblocking-bounded': 'drops items when the queue is full',
  '05-fast-path': 'the most code of any chapter and the subtlest (two fence pairs); `producers × ringSize × 8` bytes while a stream runs (16 with `stamp`)',
  '05-fast-path/batch': 'the callback takes typed arrays, views that the next wake-up overwrites; the same ring memory as chapter 5',
  '05-fast-path/trampoline': "per-item callback; an exception is rethrown from `process.nextTick` at the end of its wake-up, after the rest of that batch, where per-item mode reports it at once",
};
function tradeOff(row) {
  return TRADE_OFFS[row.name] ?? TRADE_OFFS[row.name.split('/')[0]] ?? 'see its chapter page';
}
const TRAMPOLINE = 'chapter 5 trampoline: per-item callback over batches';
const displayName = (row) => (row.technique === 'trampoline' ? `${row.name} (${TRAMPOLINE})` : row.name);

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

// Rounds of the throughput group left out because a JS-call floor moved in them (bench/harness.js).
function disturbed(report) {
  const rounds = new Set();
  for (const entry of report.results) for (const run of entry.runs) if (run.disturbed) rounds.add(run.round);
  return [...rounds].sort((a, b) => a - b);
}

function machineSection(report) {
  const env = report.environment;
  const commit = report.commit;
  const rows = [
    ['commit', commit ? `\`${commit.hash.slice(0, 12)}\` (${commit.date})${commit.dirty ? ', with uncommitted changes in chapters/, common/ or bench/' : ''}` : '(not a git checkout)'],
    ['CPU', `${env.cpuModel}, ${env.cores} cores, ${env.memoryGiB} GiB`],
    ['virtualisation', env.virtualization],
    ['OS, kernel', `${env.os}, ${env.kernel}`],
    ['Node, libuv, V8, Node-API', `${env.node}, ${env.libuvInNode} (inside Node), ${env.v8}, ${env.napi}`],
    ['compiler', env.compiler],
    ['npm packages', Object.entries(env.packages).map(([n, v]) => `${n} ${v}`).join(', ')],
    ['Debian packages', Object.entries(env.debian).map(([n, v]) => `${n} ${v}`).join(', ')],
    ['run', `size \`${report.size}\`, started ${report.startedAt}, ${report.durationS.toFixed(0)} s`],
    ['load average (1, 5, 15 min) at start; at end, the run itself included', `${(env.loadAverageAtStart ?? []).join(', ')}; ${(env.loadAverageAtEnd ?? []).join(', ')}`],
    ['run sizes', Object.entries(report.sizes).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join('; ')],
  ];
  const b = report.bootstrap ?? { resamples: 2000, seed: 13 };
  const k = report.sizes.samples ?? 1;
  const left = disturbed(report);
  const moved = Math.round((report.floorMoved ?? 0.25) * 100);
  const load = env.loadAverageAtStart?.[0];
  const warning = load > 0.5
    ? `\n**This run shared the machine** (load ${load} at the start on ${env.cores} cores): other work slows some samples, which the best-of-${k} statistic below is built to shrug off, but the absolute figures are lower than on a quiet machine.\n`
    : '';
  return (
    `## Machine and software\n\n${table(['', ''], rows)}\n${warning}\n` +
    `**How the figures are made.** Every target and every floor runs in rounds: each round runs each of ` +
    `them once, round-robin, each run in a fresh process, so a floor is measured beside the targets it ` +
    `bounds (${report.sizes.rounds} rounds for throughput, its floors and the targets' latency, ${report.sizes.latencyRounds} for ` +
    `the latency floors and chapter 0's latency, ${report.sizes.producerRounds} for the producers group and the busy main thread; the rate ` +
    `sweep is one round). Some streams of one target share a process, one after the other, each timed on its own: ` +
    `in the throughput group its unpaced run, its sum-each or batch-sum run and its 1 000/s latency run, always in that order ` +
    `(the per-item callback is one function per process, whose type feedback a stream before would fill with its own ` +
    `branches; and where a JS loop calls \`texample.callback\`, a different function before it makes that call ` +
    `polymorphic, which is why the trampoline's sum-each run, whose callback adds each value, has a process of its own); ` +
    `in the producers group its busy-main-thread run, always first (its memory figure is ` +
    `the process's peak resident size), then its producer counts and its stamped run in an order rotated from round to round; in the sweep ` +
    `its rates (chapter 0 runs one stream per process). **Throughput is best of ${k}:** a throughput process times ${k} samples ` +
    `of the size given, back to back, and reports the fastest. On a shared or virtual machine other work ` +
    `only ever slows a sample down, never speeds one up, so the fastest of ${k} is what the process could do. ` +
    `The same holds between processes: a process whose main thread runs on the vCPU that is slow at the time is ` +
    `slow all through (see [the floors](#floors-measured-in-the-same-run)), so ` +
    `**a throughput figure is the best of its processes**, floors included (a JS floor's process takes one sample on each vCPU; ` +
    `a throughput stream's process, besides its ${k} unpinned samples, one with its main thread on each vCPU and its other threads on the rest), with a bootstrap 95% interval over the ` +
    `processes in brackets (percentile method, ${b.resamples} resamples, seed ${b.seed}; a best's interval ` +
    `cannot reach above the best itself, and its low end is about the third best of five processes, so one or two ` +
    `slow processes move neither end). Every other figure is the median of its processes. ` +
    (report.sizes.reruns
      ? `A round of the throughput group in which either JS-call floor fell more than ${moved}% below its median is marked and left ` +
        `out, and replaced by a new round while the ${report.sizes.reruns} reruns allowed last` +
        `${left.length ? `: in this run round${left.length > 1 ? 's' : ''} ${left.map((r) => r + 1).join(', ')}` : ': none in this run'}. `
      : `No round is marked or rerun at this size: a slow floor is a process on the slow vCPU, not a disturbed round. `) +
    `A ratio is the ratio of the two figures (of two bests, for throughput), with an interval from resampling each side's processes ` +
    `independently. Latency is not best-of: every sample of every process is pooled, and the interval ` +
    `resamples the processes, then the samples within each. Two figures whose intervals overlap are a ` +
    `tie. Every callback is called 100 000 times from JS before its run, as the floors' callbacks are, and ` +
    `every unpaced stream is timed after an untimed one through the same target (a tenth of its items, at ` +
    `most 100 000).\n`
  );
}

// A row whose every unpaced run delivered all its items in one event-loop iteration: no timer or
// I/O callback ran while it streamed.
const allInOne = (r) => r.throughputRunsDetail?.length > 0 && r.throughputRunsDetail.every((run) => run.wakeups === 1);

function summarySection({ floor, rows }, report) {
  const k = report?.sizes?.samples ?? 1;
  const body = rows.map((r) => [
    displayName(r) + (r.excluded ? ' (original, bugs kept)' : '') + (r.callback === 'batch' ? ' (batch callback)' : ''),
    ciUs(r.latencyCI?.p50),
    ciUs(r.latencyCI?.p99),
    ciMillions(r.throughputCI),
    `${ciPercent(r.bound.share)} of the ${r.bound.name}${r.bound.figure === 'batchSum' ? `, from the batch-sum run (${ciMillions(r.batchSumCI)} M/s)` : ''}`,
    fixed(r.unpacedCoalescing?.meanItemsPerWakeup, 0) + (allInOne(r) ? ' (every item in one loop iteration)' : ''),
    fixed(r.cpuMsPerMillion, 0),
  ]);
  const header = ['target', 'p50 µs @1k/s (latency group)', 'p99 µs @1k/s (latency group)', `unpaced M items/s (throughput group, 1 producer, the best process, each best of ${k})`, 'throughput ÷ its bounding floor (same rounds)', 'items / wake-up (unpaced, median process)', 'CPU ms per M items (unpaced, median process)'];
  const f = floor.intervals;
  return {
    header,
    body,
    markdown:
      `## Summary\n\nThroughput is delivered items per second into a JS callback, one producer, unpaced. ` +
      `The last ratio divides each row by the floor that bounds it, measured in the same rounds: the JS-call floor ` +
      `of its API for a per-item chapter (a native loop calling the callback with no thread at all, one HandleScope ` +
      `per 1000 calls: Node-API ${ciMillions(f['node-api/1000'])}, V8's own (nan) ${ciMillions(f['v8/1000'])} M calls/s), ` +
      `the JS-loop floor (${ciMillions(f.jsLoop)} M items/s: the targets' own order-checking callback called from ` +
      `a JS loop over a filled Float64Array) for the trampoline and the JS-only alternatives, and the native ring ` +
      `floor (${ciMillions(f.ring)} M items/s: chapter 5's ring, producer to consumer, no JS, threads unpinned) for a ` +
      `batch callback, whose row divides its batch-sum run (a callback that adds its values) by it. Latency is ` +
      `send→callback at 1 000 items/s, where nothing coalesces. The rows' runs, and a command that reproduces ` +
      `each, are in [reproduce.md](reproduce.md); every run's figures are in [results.json](results.json).\n\n` +
      `${table(header, body)}\n`,
  };
}

// Chapter 5's targets, from targets.json's entries: met or not met only where the whole interval says so.
function targetsSection(entries, { rows, floor }, report) {
  if (entries.length === 0) return '';
  const show = (entry, v) => {
    if (!Number.isFinite(v)) return '—';
    if (/MiB/.test(entry.name)) return v.toFixed(1);
    return entry.goal < 2 && !/latency/.test(entry.name) ? percent(v) : `${v.toFixed(2)}×`;
  };
  const goalText = (e) => `${e.goalKind === 'min' ? '≥' : '≤'} ${show(e, e.goal)}`;
  const body = entries.map((e) => [
    e.against ? `${e.name} (in this run: ${e.against})` : e.name,
    goalText(e),
    Number.isFinite(e.estimate) ? `${show(e, e.estimate)} [${show(e, e.lo)}–${show(e, e.hi)}]` : '—',
    String(e.processes ?? '—'),
    `**${e.verdict}**${e.why ? ` (${e.why})` : ''}`,
  ]);
  const batch = rows.find((r) => r.name === '05-fast-path/batch');
  const worst = batch?.batchSumOverV8ByRound?.length
    ? `Round by round, batch mode's batch-sum run over the same round's V8 floor was ${batch.batchSumOverV8ByRound.map((r) => `${r.ratio.toFixed(1)}×`).join(', ')}; the targets above are held to the interval, not to any one round. `
    : '';
  return (
    `## Chapter 5 against its targets\n\nThe fast-path chapter set itself targets before it was written. ` +
    `Each is an entry of [targets.json](targets.json) (\`{ name, goal, goalKind, estimate, lo, hi, verdict }\`; a comparison with the best other chapter also names it, \`against\`), ` +
    `from which this table is written: the estimate is the ratio of two throughputs, each the best of its processes (each process the best of its samples, unpinned and pinned, as above), with its ` +
    `95% interval. Per-item mode against the Node-API JS-call floor and against 04-tsfn are ratios within processes instead: ` +
    `the floor (with per-item mode running the floor's own callback, as many items as the floor makes calls) or 04-tsfn's ` +
    `stream takes a sample right after each of per-item mode's, in the same process and placement; a process gives the ` +
    `median of its pairs, the estimate is the median of the processes. All three are bound by the main thread, whose speed ` +
    `on this kind of VM switches between two levels from one spell of tens or hundreds of milliseconds to the next, so ` +
    `that a ratio of two processes' bests measured which drew the fast spells. (The trampoline and batch mode are bound by ` +
    `their producer thread, which the floor does not use; they are held to it across processes, as the other ratios.) ` +
    `A goal is **met** only when the whole interval clears it, **not met** when none of it does, ` +
    `otherwise **undecided**. Latency ratios take the conservative interval (lowest over highest, highest over ` +
    `lowest), so that they clear 1 exactly when the two latency intervals do not overlap. ${worst}\n\n` +
    `${table(['target', 'goal', 'estimate [95% interval]', 'processes', 'verdict'], body)}\n\n` +
    `**${TRAMPOLINE}** (\`chapters/05-fast-path/batch.js\`, the row \`05-fast-path/trampoline\`) is chapter 5's ` +
    `batch mode with the reader's per-item callback called from a JS loop over each wake-up's batch: ` +
    `per-item callbacks, one native→JS crossing per wake-up. An exception thrown for an item is rethrown from ` +
    `\`process.nextTick\` at the end of its wake-up, after the batch's other items.\n` +
    trampolineBoundNote(floor)
  );
}

// How many of the chapters' unpaced throughput processes ran below SLOW of their row's best, and
// in which rows: the slow processes the best-of-processes statistic is there for.
const SLOW = 0.75;
function slowProcessesText(rows) {
  const chapters = rows.filter((r) => r.kind === 'chapter' && !r.excluded && r.throughputRuns.length > 1);
  const slow = chapters.map((r) => ({ name: r.name, n: r.throughputRuns.filter((v) => v < SLOW * Math.max(...r.throughputRuns)).length }));
  const total = chapters.reduce((sum, r) => sum + r.throughputRuns.length, 0);
  const count = slow.reduce((sum, r) => sum + r.n, 0);
  const where = slow.filter((r) => r.n > 0).map((r) => `${r.name} ${r.n}`).join(', ');
  return `In this run ${count} of the ${total} processes of the chapters' unpaced throughput ran below ${SLOW * 100}% of the best process of their row${where ? ` (${where})` : ''}.`;
}

// The JS floors' samples, each pinned to one CPU in turn (bench/run-one.js, floorSamples): per CPU,
// how many ran below SLOW of the faster sample of their process.
function pinnedFloorsText(results) {
  const perCpu = new Map();
  for (const { job, runs } of results) {
    if (!job.pinSamples) continue;
    for (const run of runs) {
      const rates = run.samplesPerSec ?? [];
      const fastest = Math.max(...rates);
      rates.forEach((rate, j) => {
        const cpu = run.samplesCpu?.[j];
        if (cpu === null || cpu === undefined) return;
        const entry = perCpu.get(cpu) ?? { slow: 0, all: 0 };
        entry.all++;
        if (rate < SLOW * fastest) entry.slow++;
        perCpu.set(cpu, entry);
      });
    }
  }
  if (perCpu.size === 0) return '';
  const list = [...perCpu].sort(([a], [b]) => a - b).map(([cpu, e]) => `on vCPU ${cpu}, ${e.slow} of ${e.all}`);
  return ` The JS floors' samples, pinned to each vCPU in turn, that ran below ${SLOW * 100}% of their process's faster one: ${list.join('; ')}.`;
}

// The throughput streams' samples (bench/run-one.js, sampleOrder): how many processes had their
// best sample unpinned, and how many in a pinned arrangement.
function arrangedStreamsText(results) {
  let pinned = 0;
  let all = 0;
  for (const { job, runs } of results) {
    if (!job.pinArrangements) continue;
    for (const run of runs) {
      const rates = run.samplesPerSec ?? [];
      const cpu = run.samplesCpu?.[rates.indexOf(Math.max(...rates))];
      if (!run.samplesCpu || cpu === undefined) continue;
      all++;
      if (cpu !== null) pinned++;
    }
  }
  if (all === 0) return '';
  return (
    ` Each throughput stream process takes, besides its unpinned samples, one with its main thread pinned to each ` +
    `vCPU and every other thread on the other: one of them puts the stream's bottleneck thread on the faster vCPU ` +
    `whatever the scheduler did. Pinning costs something of its own when both vCPUs run at one speed (the other ` +
    `threads, V8's among them, share a CPU with the producer), hence the unpinned samples stay; in this run the best ` +
    `sample was a pinned one in ${pinned} of ${all} processes.`
  );
}

function floorSection(report, floor, targetRows) {
  const f = floor.intervals;
  const lf = floor.latencyFloors;
  const lat = (entry) => (entry ? `p50 ${ciUs(entry.p50)} µs, p99 ${ciUs(entry.p99)} µs` : '—');
  const rows = [
    ...['node-api', 'v8'].flatMap((api) => [
      [`JS-call floor through ${api}, HandleScope per call`, `${ciMillions(f[`${api}/1`])} M calls/s; by process ${spread(floor.runs[`${api}/1`])}`],
      [`JS-call floor through ${api}, HandleScope per 1000 calls`, `${ciMillions(f[`${api}/1000`])} M calls/s; by process ${spread(floor.runs[`${api}/1000`])}`],
    ]),
    ["JS-loop floor: the harness's per-item callback (the per-producer order check every target runs, with its branches for stamps and busy work) from a JS loop over a filled Float64Array, 65 536 items per batch; chapter 5's experiments/trampoline.js loops over a one-line order check instead, so its floor is higher", `${ciMillions(f.jsLoop)} M items/s; by process ${spread(floor.runs.jsLoop)}`],
    ['JS-loop floor, the batch-sum callback (adds every value)', `${ciMillions(f.jsLoopSum)} M items/s`],
    ["native ring floor: chapter 5's ring, producer to consumer, threads where the scheduler puts them (as the chapter's), items copied to doubles, no JS, the consumer taking everything queued every 10 µs, about a loop turn (`BM_Ring_ProducerConsumer`, pinned:0)", `${ciMillions(f.ring)} M items/s; by process ${spread(floor.runs.ring)}`],
    [`uv_async_send ping-pong, Node's libuv ${report.environment.libuvInNode}`, `${ciUs(floor.uvPingPong)} µs per round trip`],
    ['paced eventfd wake-up, 1 000/s, two threads pinned to two CPUs (cross-CPU)', lat(lf.crossCpu)],
    ['paced eventfd wake-up, 1 000/s, both threads pinned to one CPU (same-CPU)', lat(lf.sameCpu)],
    [`paced eventfd wake-up, 1 000/s, threads unpinned as a chapter's run (woke on the sender's CPU in ${percent(lf.unpinned?.sameCpuShare)} of wake-ups, median of runs)`, lat(lf.unpinned)],
    ['plain 1 ms timer, lateness p50 / p99 / max (the median process)', floor.sleeperLatenessNs ? ['p50', 'p99', 'max'].map((k) => us(floor.sleeperLatenessNs[k])).join(' / ') + ' µs' : '—'],
  ];
  let native = '';
  const gb = report.nativeFloors;
  if (gb?.benchmarks) {
    const nativeRows = gb.benchmarks
      .filter((b) => b.run_type !== 'aggregate')
      .map((b) => {
        const counters = Object.entries(b)
          .filter(([k, v]) => typeof v === 'number' && !['family_index', 'per_family_instance_index', 'repetitions', 'repetition_index', 'threads', 'iterations', 'real_time', 'cpu_time'].includes(k))
          .map(([k, v]) => `${k} ${v >= 100 ? v.toFixed(0) : v.toPrecision(3)}`)
          .join(', ');
        return [b.name, `${fixed(b.real_time, b.real_time < 10 ? 2 : 0)} ${b.time_unit}`, counters];
      });
    const context = gb.context ?? {};
    native =
      `\n### Native floors (Google Benchmark, outside Node)\n\nlibuv here is Debian's ${context.libuv ?? '(version not reported)'}, ` +
      `older than Node's ${report.environment.libuvInNode}: its \`uv_async_send\` busy-waits while the other side reads, ` +
      `so these uv figures do not describe what an addon gets inside Node — the ping-pong above does. ` +
      `Google Benchmark ${report.environment.debian['libbenchmark-dev']} from Debian is a debug build` +
      `${context.library_build_type ? ` (library_build_type: ${context.library_build_type})` : ''}.\n\n` +
      `${table(['benchmark', 'real time / iteration', 'counters'], nativeRows)}\n`;
  } else if (gb?.error) {
    native = `\nNative floors did not run: ${gb.error}\n`;
  }
  return (
    `## Floors, measured in the same run\n\nEach floor ran in the rounds of the figures it bounds, in fresh ` +
    `processes (the native ones each a run of \`bench/native/build/floors\` with one filter). "By process" lists ` +
    `each process's best of its samples, in M/s: one cluster, not two.\n\n` +
    `**Why the JS-call floor used to be bimodal.** Its callback once added each value into a plain \`let\`: past ` +
    `the small-integer range every call then allocated a heap number, and the loop's speed followed the size of ` +
    `V8's young generation, which differs from process to process: about 10 M calls/s in CPU time where new ` +
    `space had grown (or was set large with \`--min-semi-space-size=16\`), about 17 M where it had not. ` +
    `Processes fell into one mode or the other. The callback now adds into a \`Float64Array\`, allocates ` +
    `nothing, and runs at one speed in every process; the trampoline's sum-each callback does the same. ` +
    `The ring floor used to pin its two threads: on a shared machine a pinned thread cannot leave a busy CPU, ` +
    `and the floor fell below the unpinned chapter it bounds; it now runs unpinned, as the chapter does.\n\n` +
    `**Slow processes: the slow vCPU.** ${slowProcessesText(targetRows)}${pinnedFloorsText(report.results)} A slow process is slow in every sample ` +
    `it takes, floors included, and the next one need not be. Pinning processes to one vCPU or the other ` +
    `(\`taskset -c 0\`, \`taskset -c 1\`) shows why: at times one of this VM's two vCPUs runs everything, a ` +
    `single-threaded loop included, at a little over half the other's speed, for minutes on end, with no steal time ` +
    `reported; which one, and how often, changes from hour to hour. A process's main thread stays on the vCPU it ` +
    `starts on. Hence each JS floor process takes one sample pinned to each vCPU in turn and keeps the faster: a ` +
    `floor is what the faster vCPU does. A cross-thread stream needs both vCPUs: whichever of its threads is the bottleneck slows it ` +
    `when that thread is on the slow one (the main thread for a per-item chapter, the producer for the trampoline ` +
    `and batch mode). A floor run in the same process as a stream therefore does not cancel the slow vCPU out of ` +
    `their ratio; the best of the processes is the figure nearest both vCPUs at full speed.${arrangedStreamsText(report.results)}\n\n` +
    `${table(['floor', 'figure'], rows)}\n${native}`
  );
}

function latencySection({ rows, floor }) {
  const body = rows
    .filter((r) => r.latencyCI)
    .map((r) => [
      displayName(r) + (r.excluded ? ' (original, bugs kept: every run, its failed checks included)' : ''),
      ciUs(r.latencyCI.p50),
      ciUs(r.latencyCI.p99),
      r.latencyTail ? `${us(r.latencyTail.ns)} (${r.latencyTail.label})` : '—',
      `${r.latencySamples?.length ?? r.latency?.count ?? '—'} in ${r.latencyProcesses}`,
    ]);
  const lf = floor.latencyFloors;
  const floorRow = (label, entry) => entry && body.push([`*${label}*`, ciUs(entry.p50), ciUs(entry.p99), '—', `${entry.n} processes`]);
  floorRow('floor: eventfd, same CPU', lf.sameCpu);
  floorRow('floor: eventfd, unpinned', lf.unpinned);
  floorRow('floor: eventfd, cross-CPU', lf.crossCpu);
  const noise = floor.sleeperLatenessNs;
  if (noise) body.push(['*plain 1 ms timer (lateness, median process)*', us(noise.p50), us(noise.p99), `${us(noise.max)} (max)`, `${noise.count} in 1`]);
  const chapters = rows.filter((r) => r.kind === 'chapter' && !r.excluded && r.latencyCI?.p50);
  const p50s = chapters.map((r) => r.latencyCI.p50.median).sort((a, b) => a - b);
  const range = p50s.length ? `${us(p50s[0])}–${us(p50s.at(-1))} µs` : '—';
  const findings =
    lf.sameCpu && lf.crossCpu
      ? `**Which floor a chapter's p50 is held to.** The chapters' p50s in this run span ${range}. The ` +
        `eventfd floor with its two threads pinned to two CPUs has p50 ${ciUs(lf.crossCpu.p50)} µs; with both ` +
        `on one CPU ${ciUs(lf.sameCpu.p50)} µs; unpinned, as a chapter's producer thread and Node's main thread ` +
        `run, ${ciUs(lf.unpinned?.p50)} µs, and there the receiver woke on the sender's CPU in ` +
        `${percent(lf.unpinned?.sameCpuShare)} of wake-ups. A paced producer sleeps between items; when it ` +
        `wakes to send, the scheduler runs the woken main thread on the CPU that is already awake, so no ` +
        `halted vCPU has to be woken by an inter-processor interrupt, the cost that the cross-CPU floor ` +
        `pays at every wake-up. A chapter's idle p50 is therefore held to the same-CPU floor; the ` +
        `cross-CPU floor is what a wake-up costs when the threads are kept apart (pinned, or with the ` +
        `other CPU busy).\n\n`
      : '';
  return (
    `## Idle wake-up latency\n\nOne producer paced at 1 000 items/s, so every item is its own wake-up; send→callback ` +
    `time from a producer-side stamp to \`process.hrtime.bigint()\` in the callback, every sample kept. The ` +
    `rows in italics are floors from the same rounds (bench/native, one-way eventfd wake-ups paced at ` +
    `1 000/s, two system calls per wake-up as in an event loop) and a plain timer: p99.9 and max mostly ` +
    `measure the machine (this VM stalls for milliseconds now and then), not the mechanism.\n\n` +
    findings +
    `The tail column is p99.9 where ${P999_MIN_SAMPLES} samples or more were pooled (ten beyond it), and the max otherwise: ` +
    `a p99.9 of fewer samples is the max under another name.\n\n` +
    `${table(['target', 'p50 µs', 'p99 µs', 'tail µs', 'samples in processes'], body)}\n\n` +
    `![latency CDF](latency-cdf.svg)\n`
  );
}

function sweepSection({ rows }) {
  const body = rows.flatMap((r) =>
    r.sweep.map((p) => [
      r.name,
      p.rate === 0 ? `unpaced (${p.items} items)` : rateName(p.rate),
      millions(p.delivered),
      us(p.p50),
      us(p.p99),
      fixed(p.meanItemsPerWakeup, 1),
      String(p.maxItemsPerWakeup),
      p.stranded ? `${p.dropped} (+${p.stranded} stranded)` : String(p.dropped),
      String(p.peakQueueDepth || '—'),
      fixed(p.peakRssMiB, 0),
      fixed(p.cpuMs, 0),
    ]),
  );
  const header = ['target', 'offered', 'delivered M/s', 'p50 µs', 'p99 µs', 'items/wake-up', 'max', 'dropped', 'peak queue', 'peak RSS MiB', 'CPU ms'];
  return (
    `## Rate sweep\n\nOne producer at each offered rate, stamps on, **one process per target**, its rates one after the other (the 1k/s row is the ` +
    `latency group's median process): single runs, for the shape of each curve, not for comparing rows. The ` +
    `unpaced point is a stamped run, slower than the unstamped throughput above by the stamps' cost (the producers ` +
    `table). Items per wake-up is delivered ÷ wake-ups ` +
    `(event-loop iterations that delivered something, counted the same way for every chapter); "peak queue" ` +
    `is shown where the chapter can see its queue. CPU is the whole process (producer threads included).\n\n` +
    `${table(header, body)}\n\n![delivered vs offered](delivered-vs-offered.svg)\n\n![items per wake-up](items-per-wakeup.svg)\n\n` +
    `\n`
  );
}

function producersSection(report, { rows }) {
  const cores = report.environment.cores;
  const counts = report.producers ?? [1, 2];
  const k = report.sizes.samples ?? 1;
  const label = (p) => (p + 1 > cores ? `${p} producers M/s (oversubscribed)` : `${p} producer${p > 1 ? 's' : ''} M/s`);
  const body = rows.map((r) => [displayName(r), String(r.producerItems ?? '—'), ...counts.map((p) => ciMillions(r.producers?.[p])), ciPercent(r.stampCost)]);
  return (
    `## Producers, and the cost of measuring\n\nThe producers group: unpaced, ${report.sizes.producerRounds} rounds, ` +
    `best of ${k} samples per process, every run of a row the same size (the second column, per sample; ten times ` +
    `more for the rows that loop over batches, so that no column measures start-up). Oversubscribed: ` +
    `producer threads and the main thread share ${cores} cores, so those columns measure contention for CPU as much as ` +
    `the mechanism. The last column is one producer with stamps on divided by one producer with stamps off, both ` +
    `from this group: what taking \`uv_hrtime()\` per item and reading the clock again in the callback costs.\n\n` +
    `${table(['target', 'items per sample', ...counts.map(label), 'stamped ÷ unstamped'], body)}\n`
  );
}

// Throughput as a share of the floor that bounds it, with intervals: the chart and its table.
function boundsSection({ rows }) {
  const body = rows
    .filter((r) => r.bound.share)
    .map((r) => [displayName(r), r.bound.name + (r.bound.figure === 'batchSum' ? ' (batch-sum run)' : ''), ciPercent(r.bound.share)]);
  const beaten = rows.filter((r) => r.bound.share?.lo > 1);
  return (
    `## Throughput as a share of its bounding floor\n\nEach target's unpaced throughput (the throughput group, one ` +
    `producer) divided by the floor that bounds it, measured in the same rounds: what is left between the mechanism ` +
    `and the best its kind of delivery can do on this machine. A share above 100% whose interval lies wholly ` +
    `above it would mean a floor that does not bound: ${beaten.length ? `**${beaten.map((r) => r.name).join(', ')}** in this run` : 'none in this run'}. ` +
    `The chart puts each floor in a panel of its own: the shares of different floors are not on one scale.\n\n` +
    `${table(['target', 'bounding floor', 'share [95% interval]'], body)}\n\n` +
    `![share of the bounding floor](share-of-floor.svg)\n`
  );
}

function busySection(report, { rows }) {
  const body = rows
    .filter((r) => r.busy)
    .map((r) => [r.name, millions(r.busy.delivered), fixed(r.busy.rssGrowthMiB, 1), String(r.busy.peakQueueDepth || '—'), String(r.busy.dropped), us(r.busy.p99)]);
  // Busy runs share the producers group's rounds (results of older runs name busyRounds).
  const processes = report.sizes.busyRounds ?? report.sizes.producerRounds ?? 1;
  return (
    `## Busy main thread\n\nThe callback burns ${report.busyWork} iterations of integer work per item while one ` +
    `producer offers ${report.busyRate / 1e6}M items/s (${report.sizes.busyItems} items, ${processes} process${processes > 1 ? 'es' : ''} per target, the median process by RSS growth shown): the main thread cannot keep ` +
    `up, so what matters is where the backlog goes — a growing queue (RSS), backpressure on the producer, or drops.\n\n` +
    `${table(['target', 'delivered M/s', 'RSS growth MiB', 'peak queue', 'dropped', 'p99 µs'], body)}\n\n` +
    `\n`
  );
}

// One guide entry: the winner, or the tie, with each row's figure and trade-off.
function guideEntry(what, result, figure, extra = '') {
  if (!result) return `- **${what}:** no chapter measured.`;
  const item = (r) => `${displayName(r)} (${figure(r)}; ${tradeOff(r)})`;
  if (result.winner) return `- **${what}:** ${item(result.winner)}.${extra}`;
  return `- **${what}: a tie** — the intervals of ${result.tied.length} rows overlap the best one's, so none wins: ${result.tied.map(item).join('; ')}.${extra}`;
}

function decisionSection(summary, floodEntry = '') {
  const d = decisions(summary);
  const alternatives = summary.rows.filter((r) => r.kind === 'alternative');
  const bestAlternative = alternatives.reduce((best, r) => (!best || r.throughput > best.throughput ? r : best), null);
  const trampoline = summary.rows.find((r) => r.technique === 'trampoline');
  const bounded = d.memoryUnderLoad;
  const sameCpu = d.floor.latencyFloors.sameCpu;
  return [
    '## Decision guide (generated from the figures above)',
    '',
    "A winner is named only where its interval does not overlap the next one's; otherwise the entry lists " +
      'the tie. Every entry says what the mechanism costs besides its figure, as its chapter page and ' +
      '[the comparison](../comparison.md) do: read the trade-off before the figure.',
    '',
    guideEntry('Lowest idle latency (p50 at 1 000 items/s)', d.latency, (r) => `p50 ${ciUs(r.latencyCI.p50)} µs`,
      sameCpu ? ` The same-CPU eventfd floor in this run: ${ciUs(sameCpu.p50)} µs.` : ''),
    guideEntry('Tail at 1 000 items/s (p99)', d.tail, (r) => `p99 ${ciUs(r.latencyCI.p99)} µs`,
      ` A plain 1 ms timer's p99 in this run: ${us(d.floor.sleeperLatenessNs?.p99)} µs.`),
    guideEntry('Highest throughput, one item per call', d.throughput, (r) => `${ciMillions(r.throughputCI)} M items/s`),
    trampoline
      ? `- **Per-item callbacks at batch speed:** ${TRAMPOLINE} (\`chapters/05-fast-path/batch.js\`): the reader's ` +
        `per-item callback, called from a JS loop over each wake-up's batch — ${ciMillions(trampoline.throughputCI)} M items/s ` +
        `with the order-checking callback, ${ciPercent(trampoline.bound.share)} of the JS-loop floor; with the JS-call floor's ` +
        `own callback ${ciMillions(trampoline.sumEachCI)} M items/s, ${ciTimes(trampoline.fastPath?.sumEachOverV8)} the V8 JS-call floor. ` +
        `No callback that takes arrays is needed. Trade-off: ${tradeOff(trampoline)}.`
      : '',
    d.batch
      ? guideEntry('Bulk throughput, if the callback can take an array', d.batch,
        (r) => `${ciMillions(r.batchSumCI)} M items/s into a callback that adds every value, ${ciPercent(r.bound.share)} of the native ring floor`)
      : '',
    bounded.length
      ? `- **Memory when the main thread falls behind, nothing dropped** (the busy-main-thread run, RSS growth, ` +
        `smallest first; the peak queue where the chapter can see it): ${bounded.map((r) => `${displayName(r)} +${fixed(r.busy.rssGrowthMiB, 1)} MiB${r.busy.peakQueueDepth ? `, peak queue ${r.busy.peakQueueDepth}` : ''}`).join('; ')}.`
      : '',
    floodEntry,
    `- **worker_threads:** every chapter listed passes the conformance suite's worker tests (loaded in 3 workers at once, workers terminated mid-stream); the JS alternatives run their producers in workers by construction.`,
    bestAlternative
      ? `- **Without an addon:** the fastest JS-only alternative here, ${bestAlternative.name}, delivered ${ciMillions(bestAlternative.throughputCI)} M items/s unpaced (p50 ${ciUs(bestAlternative.latencyCI?.p50)} µs at 1 000 items/s).`
      : '',
    '',
  ].filter((line, k, all) => line !== '' || all[k - 1] !== '').join('\n');
}

// The two trampoline goals against each other: the JS-loop floor, the same callback in a loop
// written by hand, is itself some multiple of the V8 JS-call floor, and the 4× goal asks for the
// matching share of it.
function trampolineBoundNote(floor) {
  const loopOverV8 = ratio(floor.jsLoop, floor.jsCall.v8?.best);
  if (!Number.isFinite(loopOverV8)) return '';
  return (
    `\nEach trampoline goal divides by a floor measured with the same callback: the V8 JS-call floor's ` +
    `callback adds each value, so the trampoline is measured with that callback too (the row \`sum-each\` ` +
    `in the raw data); the JS-loop floor runs the order-checking callback every target gets. Divided across ` +
    `callbacks the goals would bound each other: the JS-loop floor itself is ${loopOverV8.toFixed(2)}× the ` +
    `V8 JS-call floor in this run, so 4× would ask for ${Math.round(400 / loopOverV8)}% of a loop written ` +
    `by hand.\n`
  );
}

// Figures measured on this machine kind with throw-away prototypes before the project began
// (the project's facts file), beside this run's. Typed here because they are the anchors, not
// results; every figure in the other column is measured by this run.
const ANCHORS = [
  ['JS-call floor, HandleScope per call', 18.0e6, (f) => f.jsCall.v8.perItemScope, 'M/s', 'V8 API; through Node-API: see the floors'],
  ['JS-call floor, HandleScope per 1000 calls', 24.2e6, (f) => f.jsCall.v8.best, 'M/s', 'V8 API'],
  ['raw uv_async_t, drain-all, scope per item', 17.7e6, (f, row) => row('02-uv-async')?.throughput, 'M/s', 'chapter 2 calls JS through Node-API with a Node-API HandleScope per item (the prototype used V8’s API); chapter 1 is the V8-API equivalent'],
  ['TypedThreadSafeFunction, unbounded', 6.1e6, (f, row) => row('04-tsfn')?.throughput, 'M/s', 'chapter 4 also looks the callback up per wake-up and counts each item, which the prototype did not'],
  ['ThreadSafeFunction (std::function per call)', 3.6e6, (f, row) => row('04-tsfn/untyped')?.throughput, 'M/s', ''],
  ['raw uv_async_t latency p50 at 1 item/ms', 9.4e3, (f, row) => row('02-uv-async')?.latency?.p50, 'µs', 'p50 varied 4.7–10.4 µs between the prototype runs'],
  ['TSFN latency p50 at 1 item/ms', 10.1e3, (f, row) => row('04-tsfn')?.latency?.p50, 'µs', ''],
  ["uv_async_send ping-pong, Node's libuv, two vCPUs", null, (f) => f.uvPingPongNs, 'µs', 'the facts give eventfd 39 µs, futex 28 µs: waking a halted vCPU costs about 20 µs on this VM'],
];

function anchorsSection(summary) {
  const row = (name) => summary.rows.find((r) => r.name === name);
  const show = (value, unit) => (unit === 'M/s' ? `${millions(value)} M/s` : `${us(value)} µs`);
  const body = ANCHORS.map(([what, anchor, pick, unit, note]) => {
    const measured = pick(summary.floor, row);
    const ratioText = anchor && Number.isFinite(measured) ? `${(measured / anchor).toFixed(2)}×` : '—';
    return [what, anchor ? show(anchor, unit) : '—', show(measured, unit), ratioText, note];
  });
  return (
    `## Against the figures measured before the project began\n\nThe first column was measured on this ` +
    `machine kind with throw-away prototypes before any chapter existed (medians of 5 processes); the second ` +
    `is this run. They differ where the chapters do more than the prototypes did (the last column says what), ` +
    `and with the machine's load.\n\n${table(['figure', 'before the project', 'this run', 'ratio', 'why they differ'], body)}\n`
  );
}

// Chapter 0 beside chapter 1, rate by rate: the same design with and without the 2011 bugs.
// Its failed checks are the point of it, so they are shown here, not among the failures.
function originalSection({ rows }) {
  const original = rows.find((r) => r.excluded);
  const fixed1 = rows.find((r) => r.name === '01-libev-shim');
  if (!original || !fixed1) return '';
  const at = (row, rate) => row.sweep.find((point) => point.rate === rate);
  const body = original.sweep.map((point) => {
    const other = at(fixed1, point.rate);
    return [
      rateName(point.rate),
      String(point.stranded),
      us(point.p50),
      us(point.p99),
      other ? String(other.stranded + other.dropped) : '—',
      us(other?.p50),
      us(other?.p99),
      perSecond(point.delivered),
      perSecond(other?.delivered),
    ];
  });
  return (
    `## Chapter 0: what the 2011 bugs do, measured

The original design (chapter 0, bugs kept) and the ` +
    `same design fixed (chapter 1), in the same sweep. Chapter 0 takes one item per wake-up although ` +
    `wake-ups coalesce: once items arrive faster than the loop turns, its queue grows, every item waits ` +
    `behind the backlog (latency in milliseconds, then seconds), and when the producer stops, whatever is ` +
    `still queued is stranded for good, because nothing sends again. Chapter 1 drains everything per ` +
    `wake-up and strands nothing. (Chapter 0's race on its queue is shown by ThreadSanitizer: ` +
    `chapters/00-original/race/run.sh.)\n\n` +
    `${table(['offered', '00 stranded', '00 p50 µs', '00 p99 µs', '01 stranded or dropped', '01 p50 µs', '01 p99 µs', '00 items/s delivered', '01 items/s delivered'], body)}\n`
  );
}

// Shown when matrix/results.json exists (make matrix, a run of its own): the contract cases per
// chapter under every runtime, beside this run's single-runtime figures.
const MATRIX_RESULTS = path.join(__dirname, '..', 'matrix', 'results.json');
// The commit that last wrote matrix/results.json, and what changed under chapters/ since.
function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function runtimesSection() {
  if (!fs.existsSync(MATRIX_RESULTS)) return '';
  const results = JSON.parse(fs.readFileSync(MATRIX_RESULTS, 'utf8'));
  const runtimes = Object.values(results.runtimes);
  const rows = targetsOf(results).map((target) => [
    target,
    ...runtimes.map((runtime) => cellText(results, target, runtime, { notes: false })),
  ]);
  const [hash, date] = git(['log', '-1', '--format=%H %cI', '--', 'matrix/results.json']).split(' ');
  const since = hash ? git(['log', '--format=%h %cs %s', `${hash}..HEAD`, '--', 'chapters/']).split('\n').filter(Boolean) : [];
  const changed = !hash
    ? 'matrix/results.json is not committed, so this page cannot say which chapters changed after the run.'
    : since.length === 0
      ? 'No file under chapters/ changed after that commit.'
      : `${since.length} commit${since.length === 1 ? '' : 's'} changed chapters after that commit (\`git log ${hash.slice(0, 12)}..HEAD -- chapters/\`), so these cells may not describe them; the latest:\n\n${since.slice(0, 5).map((line) => `- ${line.length > 160 ? `${line.slice(0, 157)}…` : line}`).join('\n')}`;
  return (
    '## Across Node versions, Bun and Deno\n\n' +
    `From \`make matrix\`, runs of its own (${(results.runs ?? [{ generated: results.generated, seconds: results.seconds }]).map((run) => `${run.generated.slice(0, 10)}${run.chapters ? ` chapters ${run.chapters.map((c) => c.slice(0, 2)).join(', ')}` : ''}${run.runtimes ? ` (${run.runtimes.join(', ')})` : ''}, ${run.seconds} s`).join('; ')}), committed in ` +
    `${hash ? `\`${hash.slice(0, 12)}\` (${date})` : '(not committed)'}. ${changed}\n\n` +
    'The contract cases each chapter passed under each runtime, "known" where a failure is traced to the ' +
    'runtime. [The portability page](../portability.md) has the throughput and latency per runtime, the ' +
    'versions and what breaks where, and why.\n\n' +
    `${table(['chapter / variant', ...runtimes.map(label)], rows)}\n`
  );
}

// A command that reruns one process of a series: the job as the harness ran it, module paths
// relative to the repository's root (bench/run-one.js resolves them there).
function reproduceCommand(job) {
  const rest = childJob(job);
  const target = rest.target?.modulePath ? { ...rest.target, modulePath: path.relative(ROOT, rest.target.modulePath) } : rest.target;
  return `node bench/run-one.js '${JSON.stringify({ ...rest, ...(target ? { target } : {}) })}'`;
}

// The command per series stands on a page of its own (reproduce.md), beside results.json: one
// JSON job per row is raw data, and would double the report's page.
function reproducePage(report) {
  const pick = (entry) => {
    const j = entry.job;
    if (j.kind !== 'stream') return j.scenario === 'floor';
    return j.scenario === 'latency' || j.scenario === 'batch-sum' || j.scenario === 'sum-each' || (j.scenario === 'unpaced' && (j.options.producers ?? 1) === 1);
  };
  const what = (j) => (j.kind === 'stream' ? `${j.targetName}: ${j.scenario === 'unpaced' ? 'throughput' : j.scenario}` : `floor: ${j.kind}${j.api ? ` ${j.api}/${j.callsPerScope}` : ''}${j.callback ? ` ${j.callback}` : ''}${j.floor ? ` ${j.floor}` : ''}`);
  const body = report.results.filter(pick).map((entry) => [what(entry.job), String(entry.runs.length), `\`${reproduceCommand(entry.job)}\``]);
  return (
    `# Reproduce a row\n\nEach series ran as \`node bench/run-one.js '<job>'\`, one fresh process per run, printing one ` +
    `JSON line (its samples in \`samplesPerSec\`, the best in \`deliveredPerSec\`, \`callsPerSec\` or \`itemsPerSec\`). ` +
    `From the repository's root, after \`make all bench-build\`, these rerun one process of the series behind the ` +
    `summary, latency, target and floor rows; every series and every run's figures are in [results.json](results.json) ` +
    `(\`results[].job\`, \`results[].runs\`).\n\n${table(['series', 'processes', 'command'], body)}\n`
  );
}

function problemsSection({ rows }) {
  const failing = rows.filter((r) => r.problems.length && !r.excluded);
  if (failing.length === 0) {
    return '## Checks\n\nEvery run delivered exactly what it sent, in order per producer, with `sent === delivered + dropped` (chapter 0 aside: its failures are the point of it, shown in its own section above).\n';
  }
  return `## Checks that failed\n\n${failing.map((r) => `- ${r.name}: ${[...new Set(r.problems)].join('; ')}`).join('\n')}\n`;
}

function terminalSummary(summary, report) {
  const { header, body } = summarySection(summary, report);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

// The figures other pages quote (docs/comparison.md, through the docs tool's value markers), as
// the text they show: formatted here, from this run, so that no page types one.
function proseFigures({ rows, floor }, targets) {
  const row = (name) => rows.find((r) => r.name === name);
  const trampoline = rows.find((r) => r.technique === 'trampoline');
  const doorbell = row('04-tsfn/doorbell');
  const share = trampoline?.bound.share;
  const entry = (prefix) => targets.find((t) => t.name.startsWith(prefix));
  const oneWakeup = doorbell ? doorbell.throughputRunsDetail.filter((run) => run.wakeups === 1) : [];
  const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '—');
  return {
    trampoline_share: pct(share?.median),
    trampoline_interval: share ? `${pct(share.lo)}–${pct(share.hi)}` : '—',
    trampoline_verdict: entry('trampoline ÷ the JS-loop floor')?.verdict ?? '—',
    js_loop_floor: millions(floor.jsLoop),
    fast_of_node_api: pct(entry('per-item mode ÷ the Node-API')?.estimate),
    fast_of_node_api_verdict: entry('per-item mode ÷ the Node-API')?.verdict ?? '—',
    batch_over_v8: Number.isFinite(entry('batch mode')?.estimate) ? `${entry('batch mode').estimate.toFixed(1)}×` : '—',
    doorbell_one_wakeup: `${oneWakeup.length} of ${doorbell?.throughputRunsDetail.length ?? 0}`,
    doorbell_items: String(doorbell?.throughputRunsDetail[0]?.items ?? '—'),
    // What "a high rate" means in the README's decision table: chapter 4's one call per item.
    tsfn_per_item: millions(row('04-tsfn')?.throughput),
  };
}

async function main() {
  const report = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
  const summary = summarize(report);
  // bench/flood.js's runs (make report runs it after the harness).
  const floodRuns = JSON.parse(fs.readFileSync(FLOOD_RESULTS, 'utf8'));
  const floodSummary = flood.summarizeFlood(floodRuns, report.targets ?? []);
  const floodTargets = flood.floodTargets(floodSummary);
  const targets = [...targetList(summary).map((t) => ({ ...t, group: 'chapter 5' })), ...floodTargets];
  fs.mkdirSync(OUT, { recursive: true });
  await charts.writeAll(OUT, summary);
  fs.writeFileSync(path.join(OUT, 'loop-under-flood.svg'), await charts.render(flood.floodChart(floodSummary)));
  const commit = report.commit ? ` at commit \`${report.commit.hash.slice(0, 12)}\`` : '';
  const page = [
    '# Report: waking the JS main thread from a native thread',
    '',
    `Generated by \`make report\` on ${report.startedAt.slice(0, 10)}${commit}. **Every figure here is specific to the ` +
      `machine below**: compare the ratios to the floors measured in the same run, not the absolute numbers, with ` +
      `another machine's. Raw data: [results.json](results.json) (every run of every series); chapter 5's targets: ` +
      `[targets.json](targets.json).`,
    '',
    machineSection(report),
    summarySection(summary, report).markdown,
    decisionSection(summary, flood.floodGuideEntry(floodSummary, floodTargets)),
    targetsSection(targets.filter((t) => t.group === 'chapter 5'), summary, report),
    originalSection(summary),
    latencySection(summary),
    sweepSection(summary),
    boundsSection(summary),
    producersSection(report, summary),
    busySection(report, summary),
    flood.floodSection(floodSummary, floodTargets),
    floorSection(report, summary.floor, summary.rows),
    anchorsSection(summary),
    runtimesSection(),
    problemsSection(summary),
    '## Reproduce a row\n\nA command per series, each rerunning one of its fresh processes: [reproduce.md](reproduce.md).\n',
  ].join('\n');
  fs.writeFileSync(path.join(OUT, 'README.md'), page);
  fs.writeFileSync(path.join(OUT, 'reproduce.md'), reproducePage(report));
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(report) + '\n');
  fs.writeFileSync(path.join(OUT, 'targets.json'), JSON.stringify(targets, null, 1) + '\n');
  fs.writeFileSync(path.join(OUT, 'flood.json'), JSON.stringify(floodRuns) + '\n');
  fs.writeFileSync(path.join(OUT, 'figures.json'), JSON.stringify({ ...proseFigures(summary, targets), ...flood.floodFigures(floodSummary) }, null, 1) + '\n');
  console.log(terminalSummary(summary, report));
  console.log(`\n${targets.map((t) => `${t.verdict.padEnd(10)} ${t.name}: ${t.estimate?.toFixed(3)} [${t.lo?.toFixed(3)}–${t.hi?.toFixed(3)}] (${t.goalKind} ${t.goal})`).join('\n')}`);
  console.log(`\nReport: ${path.relative(process.cwd(), path.join(OUT, 'README.md'))}`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { terminalSummary, rateName };
