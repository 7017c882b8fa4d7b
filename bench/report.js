'use strict';
// Writes docs/report/ from bench/results/latest.json: README.md (tables, decision guide, the
// machine), SVG charts (vega-lite rendered in Node, no browser) and results.json (the raw data).
// Prints a short summary table in the terminal.
const fs = require('node:fs');
const path = require('node:path');
const { summarize, decisions } = require('./analysis');
const charts = require('./charts');

const ROOT = path.join(__dirname, '..');
const RESULTS = path.join(__dirname, 'results', 'latest.json');
const OUT = path.join(ROOT, 'docs', 'report');

const us = (ns) => (Number.isFinite(ns) ? (ns / 1000).toFixed(ns < 10000 ? 1 : 0) : '—');
const millions = (perSec) => (Number.isFinite(perSec) ? (perSec / 1e6).toFixed(2) : '—');
const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const percent = (value) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : '—');
const perSecond = (value) => (Number.isFinite(value) ? String(Math.round(value)) : '—');
const times = (value) => (Number.isFinite(value) ? `${value.toFixed(1)}×` : '—');
const rateName = (rate) => (rate === 0 ? 'unpaced' : rate >= 1e6 ? `${rate / 1e6}M/s` : `${rate / 1000}k/s`);

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function rawJson(value) {
  return `<details><summary>raw JSON</summary>\n\n\`\`\`json\n${JSON.stringify(value)}\n\`\`\`\n\n</details>`;
}

function machineSection(report) {
  const env = report.environment;
  const rows = [
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
  return `## Machine and software\n\n${table(['', ''], rows)}\n`;
}

function summarySection({ floor, rows }) {
  const body = rows.map((r) => [
    r.name + (r.excluded ? ' (original, bugs kept)' : '') + (r.callback === 'batch' ? ' (batch callback)' : ''),
    us(r.latency?.p50),
    us(r.latency?.p99),
    millions(r.throughput),
    `${percent(r.ofApiFloor)} (${r.api})`,
    percent(r.ofBestFloor),
    fixed(r.unpacedCoalescing?.meanItemsPerWakeup, 0),
    fixed(r.cpuMsPerMillion, 0),
  ]);
  const header = ['target', 'p50 µs @1k/s', 'p99 µs @1k/s', 'unpaced M items/s', 'of its API floor', 'of best floor', 'items / wake-up (unpaced)', 'CPU ms per M items'];
  return {
    header,
    body,
    markdown:
      `## Summary\n\nThroughput is delivered items per second into a JS callback, one producer, unpaced. ` +
      `The JS-call floor is a native loop calling the same callback with no thread at all, in its best form ` +
      `(one HandleScope per 1000 calls); it is measured through both APIs a chapter can call JS with — ` +
      `Node-API ${millions(floor.jsCall['node-api'].best)} M calls/s, V8's own (nan) ${millions(floor.jsCall.v8.best)} M ` +
      `calls/s in this run — and each chapter is divided by the floor of the API it uses, then by the best ` +
      `of the two. The JS-only alternatives call from JS and are divided by the best. Latency is ` +
      `send→callback at 1 000 items/s, where nothing coalesces.\n\n${table(header, body)}\n\n${rawJson(rows.map(({ sweep, ...rest }) => rest))}\n`,
  };
}

function floorSection(report, floor) {
  const rows = [
    ...['node-api', 'v8'].flatMap((api) => [
      [`JS-call floor through ${api}, HandleScope per call`, `${millions(floor.jsCall[api].perItemScope)} M calls/s`],
      [`JS-call floor through ${api}, HandleScope per 1000 calls`, `${millions(floor.jsCall[api].best)} M calls/s`],
    ]),
    [`uv_async_send ping-pong, Node's libuv ${report.environment.libuvInNode}`, `${us(floor.uvPingPongNs)} µs per round trip`],
    ['plain 1 ms timer, lateness p50 / p99 / p99.9 / max', floor.sleeperLatenessNs ? ['p50', 'p99', 'p999', 'max'].map((k) => us(floor.sleeperLatenessNs[k])).join(' / ') + ' µs' : '—'],
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
      `${table(['benchmark', 'real time / iteration', 'counters'], nativeRows)}\n\n${rawJson(gb)}\n`;
  } else if (gb?.error) {
    native = `\nNative floors did not run: ${gb.error}\n`;
  }
  return `## Floors, measured in the same run\n\n${table(['floor', 'figure'], rows)}\n\n${rawJson(floor)}\n${native}`;
}

function latencySection({ rows, floor }) {
  const body = rows
    .filter((r) => r.latency)
    .map((r) => [r.name, ...['p50', 'p90', 'p99', 'p999', 'max'].map((k) => us(r.latency[k])), String(r.latency.count)]);
  const noise = floor.sleeperLatenessNs;
  if (noise) body.push(['*plain 1 ms timer (lateness)*', ...['p50', 'p90', 'p99', 'p999', 'max'].map((k) => us(noise[k])), String(noise.count)]);
  return (
    `## Idle wake-up latency\n\nOne producer paced at 1 000 items/s, so every item is its own wake-up; send→callback ` +
    `time from a producer-side stamp to \`process.hrtime.bigint()\` in the callback, recorded with ` +
    `\`perf_hooks.createHistogram\`. The last row is a plain timer in the same run: p99.9 and max mostly measure ` +
    `the machine (this VM stalls for milliseconds about once a second), not the mechanism.\n\n` +
    `${table(['target', 'p50 µs', 'p90 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'items'], body)}\n\n` +
    `![latency CDF](latency-cdf.svg)\n\n${rawJson(rows.map((r) => ({ name: r.name, latencyNs: r.latency })))}\n`
  );
}

function sweepSection({ rows }) {
  const body = rows.flatMap((r) =>
    r.sweep.map((p) => [
      r.name,
      rateName(p.rate),
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
    `## Rate sweep\n\nOne producer at each offered rate, stamps on. Items per wake-up is delivered ÷ wake-ups ` +
    `(event-loop iterations that delivered something, counted the same way for every chapter); "peak queue" ` +
    `is shown where the chapter can see its queue. CPU is the whole process (producer threads included).\n\n` +
    `${table(header, body)}\n\n![delivered vs offered](delivered-vs-offered.svg)\n\n![items per wake-up](items-per-wakeup.svg)\n\n` +
    `${rawJson(rows.map((r) => ({ name: r.name, sweep: r.sweep })))}\n`
  );
}

function producersSection({ rows }) {
  const body = rows.map((r) => [r.name, millions(r.throughput), millions(r.throughput2), percent(r.stampCost)]);
  return (
    `## Producers, and the cost of measuring\n\nUnpaced, stamps off, median of the repeats. The last column is ` +
    `throughput with stamps on as a fraction of throughput with stamps off (one producer): what taking ` +
    `\`uv_hrtime()\` per item and reading the clock again in the callback costs.\n\n` +
    `${table(['target', '1 producer M/s', '2 producers M/s', 'stamped ÷ unstamped'], body)}\n\n` +
    `${rawJson(rows.map(({ name, throughput, throughput2, stampCost }) => ({ name, throughput, throughput2, stampCost })))}\n`
  );
}

function busySection(report, { rows }) {
  const body = rows
    .filter((r) => r.busy)
    .map((r) => [r.name, millions(r.busy.delivered), fixed(r.busy.rssGrowthMiB, 0), String(r.busy.peakQueueDepth || '—'), String(r.busy.dropped), us(r.busy.p99)]);
  return (
    `## Busy main thread\n\nThe callback burns ${report.busyWork} iterations of integer work per item while one ` +
    `producer offers ${report.busyRate / 1e6}M items/s (${report.sizes.busyItems} items): the main thread cannot keep ` +
    `up, so what matters is where the backlog goes — a growing queue (RSS), backpressure on the producer, or drops.\n\n` +
    `${table(['target', 'delivered M/s', 'RSS growth MiB', 'peak queue', 'dropped', 'p99 µs'], body)}\n\n` +
    `${rawJson(rows.map((r) => ({ name: r.name, busy: r.busy })))}\n`
  );
}

function decisionSection(summary) {
  const d = decisions(summary);
  const line = (what, row, figure) => (row ? `- **${what}:** ${row.name} — ${figure(row)}.` : `- **${what}:** no chapter measured.`);
  const chapters = summary.rows.filter((r) => r.kind === 'chapter' && !r.excluded);
  const alternatives = summary.rows.filter((r) => r.kind === 'alternative');
  const bestAlternative = alternatives.reduce((best, r) => (!best || r.throughput > best.throughput ? r : best), null);
  return [
    '## Decision guide (generated from the figures above)',
    '',
    line('Lowest idle latency', d.latency, (r) => {
      const ties = d.latencyTies.filter((t) => t !== r).map((t) => `${t.name} ${us(t.latency.p50)} µs`);
      const tied = ties.length ? `; within 10% of it, which is within this VM's run-to-run spread: ${ties.join(', ')}` : '';
      return `p50 ${us(r.latency.p50)} µs, p99 ${us(r.latency.p99)} µs at 1 000 items/s${tied}`;
    }),
    line('Best tail at 1 000 items/s', d.tail, (r) => `p99 ${us(r.latency.p99)} µs (a plain timer's p99 here: ${us(d.floor.sleeperLatenessNs?.p99)} µs)`),
    line('Highest throughput', d.throughput, (r) => `${millions(r.throughput)} M items/s, ${percent(r.ofApiFloor)} of the JS-call floor through its API (${r.api})`),
    line('Backpressure: least memory when the main thread falls behind, nothing dropped', d.memoryUnderLoad, (r) => `RSS grew ${fixed(r.busy.rssGrowthMiB, 0)} MiB in the busy-main-thread run, peak queue ${r.busy.peakQueueDepth || '—'} items`),
    line('Least CPU per item', d.cpu, (r) => `${fixed(r.cpuMsPerMillion, 0)} ms of CPU per million items, unpaced`),
    d.batch
      ? `- **Bulk throughput, if the callback can take an array:** ${d.batch.name} — ${millions(d.batch.batchSum)} M items/s into a callback that reads every value (${millions(d.batch.throughput)} M/s with the per-item checks every other row runs), ${times(d.batch.batchSum / d.floor.jsCall[d.batch.api].best)} the JS-call floor: one call per wake-up instead of one per item. The rows above take one item per call.`
      : '',
    `- **worker_threads:** every chapter listed passes the conformance suite's worker tests (loaded in 3 workers at once, workers terminated mid-stream); the JS alternatives run their producers in workers by construction.`,
    bestAlternative
      ? `- **Without an addon:** the best JS-only alternative here, ${bestAlternative.name}, delivered ${millions(bestAlternative.throughput)} M items/s unpaced (p50 ${us(bestAlternative.latency?.p50)} µs at 1 000 items/s).`
      : '',
    '',
    `What each costs, per chapter: ${chapters.map((r) => `${r.name} ${millions(r.throughput)} M/s at ${fixed(r.cpuMsPerMillion, 0)} CPU ms per M items`).join('; ')}.`,
    '',
  ].join('\n');
}

// Chapter 5 set itself targets against the floor and the other chapters; this section checks
// them against this run's figures. Shown only when chapter 5 was measured.
function fastPathSection({ rows, floor }) {
  const row = (name) => rows.find((r) => r.name === name);
  const fast = row('05-fast-path');
  const batch = row('05-fast-path/batch');
  const tsfn = row('04-tsfn');
  if (!fast) return '';
  const others = rows.filter((r) => r.kind === 'chapter' && !r.excluded && r.callback !== 'batch' && !r.name.startsWith('05-') && r.latency);
  const bestP50 = others.reduce((best, r) => (!best || r.latency.p50 < best.latency.p50 ? r : best), null);
  const bestP99 = others.reduce((best, r) => (!best || r.latency.p99 < best.latency.p99 ? r : best), null);
  const nodeApiBest = floor.jsCall['node-api'].best;
  const times = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—');
  const verdict = (ok) => (ok === null ? '—' : ok ? 'met' : 'not met');
  const check = (value, goal) => (Number.isFinite(value) ? value >= goal : null);
  const perItemOfFloor = fast.throughput / nodeApiBest;
  const overTsfn = tsfn ? fast.throughput / tsfn.throughput : NaN;
  const batchSumOfFloor = batch?.batchSum / nodeApiBest;
  const batchCheckedOfFloor = batch?.throughput / nodeApiBest;
  const p50Ratio = bestP50 ? fast.latency?.p50 / bestP50.latency.p50 : NaN;
  const p99Ratio = bestP99 ? fast.latency?.p99 / bestP99.latency.p99 : NaN;
  const body = [
    ['per-item, of the Node-API JS-call floor (scope per 1000 calls)', '≥ 95%', `${millions(fast.throughput)} ÷ ${millions(nodeApiBest)} M/s = ${fixed(perItemOfFloor * 100, 1)}%`, verdict(check(perItemOfFloor, 0.95))],
    ['per-item, over 04-tsfn (TypedThreadSafeFunction, unbounded)', '≥ 3.5×', `${millions(fast.throughput)} ÷ ${millions(tsfn?.throughput)} M/s = ${times(overTsfn)}`, verdict(check(overTsfn, 3.5))],
    ['batch mode, callback adds every value, over the floor', '≥ 10×', `${millions(batch?.batchSum)} ÷ ${millions(nodeApiBest)} M/s = ${times(batchSumOfFloor)}`, verdict(check(batchSumOfFloor, 10))],
    ['batch mode, callback runs the per-item checks, over the floor', '(no target)', `${millions(batch?.throughput)} ÷ ${millions(nodeApiBest)} M/s = ${times(batchCheckedOfFloor)}`, '—'],
    [`idle latency p50 against the best other chapter (${bestP50?.name})`, '≤ 1×', `${us(fast.latency?.p50)} ÷ ${us(bestP50?.latency.p50)} µs = ${times(p50Ratio)}`, verdict(Number.isFinite(p50Ratio) ? p50Ratio <= 1 : null)],
    [`idle latency p99 against the best other chapter (${bestP99?.name})`, '≤ 1.5×', `${us(fast.latency?.p99)} ÷ ${us(bestP99?.latency.p99)} µs = ${times(p99Ratio)}`, verdict(Number.isFinite(p99Ratio) ? p99Ratio <= 1.5 : null)],
    ['RSS growth in the busy-main-thread run', 'the ring, not the backlog', `${fixed(fast.busy?.rssGrowthMiB, 0)} MiB, peak queue ${fast.busy?.peakQueueDepth} items (ring: 65 536 slots of 16 bytes = 1 MiB)`, verdict(fast.busy ? fast.busy.peakQueueDepth <= 65536 : null)],
  ];
  return (
    `## Chapter 5 against its targets

The fast-path chapter set itself targets before it was written; ` +
    `these are this run's figures against them. The JS-call floor it is held to is the Node-API one, the API ` +
    `it calls JS through; 3.5× chapter 4 would need ${millions(3.5 * (tsfn?.throughput ?? NaN))} M/s, which is ` +
    `${percent((3.5 * (tsfn?.throughput ?? NaN)) / nodeApiBest)} of that floor. Latencies at 1 000 items/s ` +
    `vary by several µs between runs on this VM (which vCPU each thread lands on), so one run's latency ` +
    `ratios are indicative.\n\n${table(['target', 'goal', 'this run', ''], body)}\n`
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

function problemsSection({ rows }) {
  const failing = rows.filter((r) => r.problems.length && !r.excluded);
  if (failing.length === 0) {
    return '## Checks\n\nEvery run delivered exactly what it sent, in order per producer, with `sent === delivered + dropped` (chapter 0 aside: its failures are the point of it, shown in its own section above).\n';
  }
  return `## Checks that failed\n\n${failing.map((r) => `- ${r.name}: ${[...new Set(r.problems)].join('; ')}`).join('\n')}\n`;
}

function terminalSummary(summary) {
  const { header, body } = summarySection(summary);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

async function main() {
  const report = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
  const summary = summarize(report);
  fs.mkdirSync(OUT, { recursive: true });
  await charts.writeAll(OUT, summary);
  const page = [
    '# Report: waking the JS main thread from a native thread',
    '',
    `Generated by \`make report\` on ${report.startedAt.slice(0, 10)}. **Every figure here is specific to the ` +
      `machine below**: compare the ratios to the floors measured in the same run, not the absolute numbers, with ` +
      `another machine's. Raw data: [results.json](results.json).`,
    '',
    machineSection(report),
    summarySection(summary).markdown,
    decisionSection(summary),
    fastPathSection(summary),
    originalSection(summary),
    latencySection(summary),
    sweepSection(summary),
    producersSection(summary),
    busySection(report, summary),
    floorSection(report, summary.floor),
    anchorsSection(summary),
    problemsSection(summary),
  ].join('\n');
  fs.writeFileSync(path.join(OUT, 'README.md'), page);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(report, null, 1) + '\n');
  console.log(terminalSummary(summary));
  console.log(`\nReport: ${path.relative(process.cwd(), path.join(OUT, 'README.md'))}`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { terminalSummary, rateName };
