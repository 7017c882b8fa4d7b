'use strict';
// The report's section "The loop under a flood", from bench/flood.js's runs (its JSON file):
// figures with bootstrap intervals over the fresh processes, the targets set for the loop during
// a flood (entries of docs/report/targets.json, group "flood"), the chart, and the figures the
// guide quotes. A target is judged on a chapter's default configuration: the default turn budget
// where the chapter takes one, the chapter as it is otherwise.
const { bootstrapMedian, bootstrapDifference, bootstrapPercentile, bootstrapPercentileDifference, targetEntry } = require('./analysis');
const { rateLabel } = require('./charts');

const GOALS = {
  gapP99Ms: 3, // the 1 ms interval's gap p99 during the flood, at most
  gapMaxMs: 10, // its largest gap, at most
  ioP99OverIdleMs: 2, // the I/O round trip's p99 during the flood, at most this above idle's
  budgetShare: 0.9, // throughput with the default budget ÷ with none, at least
};

// What is read from each process's result (bench/flood.js writes it), for the report's intervals
// here and for bench/flood.js's own table.
const FIGURES = {
  streamMs: (r) => r.streamMs,
  itemsPerSecond: (r) => r.itemsPerSecond,
  bareItemsPerSecond: (r) => r.bare?.itemsPerSecond,
  // The default budget's throughput over no budget's, both with no probe, in one process.
  budgetShare: (r) => (r.bare && r.bareWithoutBudget ? r.bare.itemsPerSecond / r.bareWithoutBudget.itemsPerSecond : undefined),
  maxItemsPerWakeup: (r) => r.stats?.maxItemsPerWakeup,
  gapP50: (r) => r.gaps?.p50,
  gapP99: (r) => r.gaps?.p99,
  gapMax: (r) => r.gaps?.max,
  eldP50: (r) => r.eventLoopDelay?.p50,
  eldP99: (r) => r.eventLoopDelay?.p99,
  eldMax: (r) => r.eventLoopDelay?.max,
  ioP50: (r) => r.ioRoundTrip?.p50,
  ioP99: (r) => r.ioRoundTrip?.p99,
};

// The figures of the targets for the loop during a flood, as targets.json names them.
const TARGET_FIGURES = {
  gapP99: 'timer gap p99, ms',
  gapMax: 'largest timer gap, ms',
  ioOverIdle: "I/O round trip p99 above idle's, ms",
  budgetShare: 'throughput with the budget ÷ without',
};

const good = (runs) => runs.filter((r) => !r.failed);

// The processes' paced streams at one rate (those that ran it).
const pacedRunsAt = (runs, rate) => runs.map((r) => r.paced?.find((p) => p.rate === rate)).filter(Boolean);

// Every process's samples of a probe (gaps, ioRoundTrip) in ms, for pooled percentiles; null when
// some process kept none (runs written before the samples were).
function sampleSets(runs, probe) {
  const sets = runs.map((r) => r[probe]?.samplesUs?.map((us) => us / 1000));
  return sets.length && sets.every(Array.isArray) ? sets : null;
}

// Per figure, the median of the processes with its interval; the timer gap's and the I/O round
// trip's p99 are the p99 of every process's samples pooled (bootstrapPercentile) where the runs
// kept them: one timer stall of the machine sets a process's own p99, not that of all of them.
// The largest gap is the largest in any process (its interval resamples the processes): a stall
// that comes in some processes and not others is what a loop meets, and a median of the
// processes' largest gaps reported it in one run and hid it in the next. (Chapter 3's and
// 04-tsfn/untyped's, 12-24 ms: perf puts the main thread in glibc's malloc_consolidate, under the
// close of the previous flood's ThreadSafeFunction, for the whole gap.)
const STATISTIC = { gapMax: 'best' };
function intervalsOf(runs) {
  const interval = (name, read) => bootstrapMedian(runs.map(read), { statistic: STATISTIC[name] ?? 'median' });
  const ci = Object.fromEntries(Object.entries(FIGURES).map(([name, read]) => [name, interval(name, read)]));
  for (const [name, probe] of [['gapP99', 'gaps'], ['ioP99', 'ioRoundTrip']]) {
    const sets = sampleSets(runs, probe);
    if (sets) ci[name] = bootstrapPercentile(sets, 0.99);
  }
  return ci;
}

// Per configuration: its intervals, its runs' values, and per paced rate the same.
function summarizeFlood(flood, targets) {
  const semantics = new Map(targets.map((t) => [t.name, t.semantics]));
  const rows = flood.runs.map(({ config, runs }) => {
    const ok = good(runs);
    const rates = config.rates ?? [];
    return {
      name: config.name,
      budget: config.budget,
      semantics: config.name === 'idle' ? null : (semantics.get(config.name) ?? 'every-item'),
      runs: ok,
      failed: runs.length - ok.length,
      ci: intervalsOf(ok),
      paced: rates.map((rate) => ({ rate, ci: intervalsOf(pacedRunsAt(ok, rate)) })),
    };
  });
  const idle = rows.find((r) => r.name === 'idle');
  const idleSets = idle && sampleSets(idle.runs, 'ioRoundTrip');
  for (const row of rows) {
    if (row === idle) continue;
    row.isDefault = row.budget !== 'before';
    const mine = sampleSets(row.runs, 'ioRoundTrip');
    row.ioOverIdle = !idle
      ? null
      : mine && idleSets
        ? bootstrapPercentileDifference(mine, idleSets, 0.99)
        : bootstrapDifference(row.runs.map(FIGURES.ioP99), idle.runs.map(FIGURES.ioP99));
    // The budget's own cost: each process's ratio of its streams with no probe running, with the
    // default budget and with none (bench/flood.js, bareStreams); the median of the processes.
    row.budgetShare = row.budget === 'after' ? row.ci.budgetShare : null;
  }
  return { flood, rows, idle };
}

// The flood's entries of targets.json: every every-item target in its default configuration.
function floodTargets({ rows }) {
  const list = [];
  for (const row of rows.filter((r) => r.isDefault && r.semantics === 'every-item')) {
    const name = `${row.name}${row.budget === 'after' ? ' (default turnBudget)' : ''}`;
    const entry = (what, goal, kind, interval) => ({ ...targetEntry(`flood, ${name}: ${what}`, goal, kind, interval), group: 'flood', target: row.name, figure: what });
    list.push(entry(TARGET_FIGURES.gapP99, GOALS.gapP99Ms, 'max', row.ci.gapP99));
    list.push(entry(TARGET_FIGURES.gapMax, GOALS.gapMaxMs, 'max', row.ci.gapMax));
    list.push(entry(TARGET_FIGURES.ioOverIdle, GOALS.ioP99OverIdleMs, 'max', row.ioOverIdle));
    if (row.budgetShare) list.push(entry(TARGET_FIGURES.budgetShare, GOALS.budgetShare, 'min', row.budgetShare));
  }
  return list;
}

const ms = (interval, digits = 2) =>
  interval && Number.isFinite(interval.median) ? `${interval.median.toFixed(digits)} [${interval.lo.toFixed(digits)}–${interval.hi.toFixed(digits)}]` : '—';
const millions = (interval) =>
  interval && Number.isFinite(interval.median) ? `${(interval.median / 1e6).toFixed(1)} [${(interval.lo / 1e6).toFixed(1)}–${(interval.hi / 1e6).toFixed(1)}]` : '—';
const percent = (interval) =>
  interval ? `${(interval.median * 100).toFixed(0)}% [${(interval.lo * 100).toFixed(0)}–${(interval.hi * 100).toFixed(0)}%]` : '—';

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const BUDGET_TEXT = { before: 'none (turnBudget: Infinity)', after: 'default (4096 items)', '-': '— (runtime-bounded)' };

function budgetText(row) {
  return row.name === 'idle' ? '—' : BUDGET_TEXT[row.budget];
}

function mainTable({ rows }) {
  const body = rows.map((r) => [
    r.name === 'idle' ? 'idle (no stream)' : r.name + (r.semantics && r.semantics !== 'every-item' ? ` (${r.semantics})` : ''),
    budgetText(r),
    millions(r.ci.bareItemsPerSecond),
    millions(r.ci.itemsPerSecond),
    ms(r.ci.gapP50),
    ms(r.ci.gapP99),
    ms(r.ci.gapMax, 1),
    ms(r.ci.eldP99),
    ms(r.ci.ioP99),
    r.ci.maxItemsPerWakeup ? String(Math.round(r.ci.maxItemsPerWakeup.median)) : '—',
  ]);
  return table(['target', 'turn budget', 'M items/s, no probe', 'M items/s, probes running', 'gap p50 ms', 'gap p99 ms', 'largest gap ms', 'loop delay p99 ms', 'I/O p99 ms', 'most items in one wake-up'], body);
}

function targetsTable(entries) {
  const byTarget = new Map();
  for (const e of entries) {
    if (!byTarget.has(e.target)) byTarget.set(e.target, {});
    byTarget.get(e.target)[e.figure] = e;
  }
  const cell = (e, format) => (e ? `${format(e.estimate)} [${format(e.lo)}–${format(e.hi)}] **${e.verdict}**` : '—');
  const num = (v) => (Number.isFinite(v) ? v.toFixed(2) : '—');
  const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '—');
  const body = [...byTarget].map(([target, f]) => [
    target,
    cell(f[TARGET_FIGURES.gapP99], num),
    cell(f[TARGET_FIGURES.gapMax], num),
    cell(f[TARGET_FIGURES.ioOverIdle], num),
    cell(f[TARGET_FIGURES.budgetShare], pct),
  ]);
  return table(
    [
      'target (default configuration)',
      `gap p99 ≤ ${GOALS.gapP99Ms} ms`,
      `largest gap ≤ ${GOALS.gapMaxMs} ms`,
      `I/O p99 − idle's ≤ ${GOALS.ioP99OverIdleMs} ms`,
      `budget's throughput ≥ ${GOALS.budgetShare * 100}% of none`,
    ],
    body,
  );
}

function pacedTable({ rows, flood }) {
  const rates = flood.options.rates ?? [];
  if (rates.length === 0) return '';
  const withPaced = rows.filter((r) => r.paced.length);
  const body = withPaced.map((r) => [r.name, ...r.paced.map((p) => `${ms(p.ci.gapP99)} · ${ms(p.ci.ioP99)}`)]);
  return (
    `At the harness's sweep rates, each stream lasting about ${flood.options.pacedMs} ms, in the same processes ` +
    `after their flood (default configuration only${flood.options.sideRounds < flood.options.rounds ? `, the first ${flood.options.sideRounds} rounds` : ''}). Each cell: the timer gap p99 · the I/O round trip p99, ms, ` +
    `median [95% interval]:\n\n${table(['target', ...rates.map((rate) => rateLabel(rate))], body)}\n`
  );
}

// How the processes ran (bench/flood.js, SLOW_VCPU): pinned, with the main thread on the fastest
// vCPU, where one vCPU was slow as the process began; unpinned otherwise.
function placementText(flood) {
  const runs = (flood.runs ?? []).flatMap((c) => c.runs).filter((r) => !r.failed && r.slowestVcpu !== undefined);
  if (runs.length === 0 || flood.options.slowVcpu === undefined) return '';
  const pinned = runs.filter((r) => r.mainCpu !== null).length;
  const worst = Math.max(...runs.map((r) => r.slowestVcpu));
  return (
    ` Each process first times a short loop pinned to each vCPU in turn ([bench/placement.js](../../bench/placement.js)): ` +
    `where the slowest took ${flood.options.slowVcpu} times the fastest's time or more${flood.options.placement === 'none' ? ' (not in this run: --placement none)' : ''}, the ` +
    `main thread runs on the fastest and every other thread on the rest, since a wake-up holds the loop for its ` +
    `items times the callback's cost; otherwise the process runs unpinned. Here ${pinned} of ${runs.length} ` +
    `processes ran pinned (the slowest vCPU at most ${worst.toFixed(2)} times the fastest).`
  );
}

// What runs in fewer rounds than the rest (bench/flood.js, parseArgs), as the method text says it.
function fewerRounds(o) {
  const fewer = [
    o.boundedRounds < o.rounds && `a runtime-bounded chapter in the first ${o.boundedRounds}`,
    o.sideRounds < o.rounds && `what no target judges, the configurations without a budget and the paced streams, in the first ${o.sideRounds}`,
  ].filter(Boolean);
  return fewer.length ? ` (${fewer.join('; ')})` : '';
}

function floodSection(summary, entries) {
  const { flood, idle } = summary;
  const o = flood.options;
  const env = flood.environment ?? {};
  const commit = flood.commit ? ` at commit \`${flood.commit.hash.slice(0, 12)}\`${flood.commit.dirty ? ' (with changes)' : ''}` : '';
  const counts = entries.reduce((c, e) => ({ ...c, [e.verdict]: (c[e.verdict] ?? 0) + 1 }), {});
  return (
    `## The loop under a flood\n\n` +
    `What is left of the main thread's event loop while one producer floods a chapter as fast as it can: ` +
    `floods of ${o.count.toLocaleString('en')} items unpaced after an untimed ${o.warmup.toLocaleString('en')}-item warm-up` +
    (o.floodMs
      ? ` (a runtime-bounded chapter's flood, whose loop its runtime bounds whatever the flood's length, is as many items ` +
        `as its warm-up's rate delivers in ${o.floodMs / 2} ms, if fewer), the flood repeated in the process until the floods ` +
        `have lasted ${o.floodMs} ms (the probes run on through them, so that a tail percentile rests on some ${o.floodMs} ` +
        `ticks, not the 130 of one flood through a fast chapter)`
      : '') +
    `, in ` +
    `${o.rounds} rounds of fresh processes, every configuration once a round in a rotated order` +
    fewerRounds(o) +
    ` ` +
    `([bench/flood.js](../../bench/flood.js), run by \`make report\`${commit}, ${flood.startedAt?.slice(0, 10) ?? ''}, ` +
    `${flood.durationS ?? '—'} s, load average at start ${env.loadAverageAtStart?.[0] ?? '—'}, at end ${env.loadAverageAtEnd?.[0] ?? '—'}). ` +
    `Three probes run on the same main thread: a 1 ms \`setInterval\` whose gaps between ticks are recorded, ` +
    `\`perf_hooks.monitorEventLoopDelay\` (loop delay), and an 8-byte round trip, sent from that interval, to a ` +
    `loopback TCP echo server on the same loop (I/O: one turn of the loop reads the ping and echoes it, the next reads ` +
    `the echo; an echo in another process would also time the scheduler, which on 2 vCPUs must make room for it beside ` +
    `the producer and the main thread). The idle row runs the same probes with no stream, in the same rounds: the machine's ` +
    `own timer stalls show there.${placementText(flood)} A chapter that takes the \`turnBudget\` option (at most that many items per loop ` +
    `turn, the rest in the next; [common/turn-budget.js](../../common/turn-budget.js)) runs twice: without a budget ` +
    `(every wake-up delivers all it takes) and with the default. Figures are medians of the processes with a ` +
    `bootstrap 95% interval, but for the timer gap's and the I/O round trip's p99: those are the p99 of every ` +
    `process's samples pooled, with an interval that resamples the processes, then the samples within each (one ` +
    `timer stall of the machine sets one process's own p99), and for the largest gap: the largest in any process, ` +
    `since a stall that some processes meet and others do not is still the loop's; raw runs, every sample included: [flood.json](flood.json). Reproduce one row: ` +
    `\`node bench/flood.js --targets 01-libev-shim --budgets after --rounds 1\`.\n\n` +
    `${mainTable(summary)}\n\n` +
    `![The loop under a flood](loop-under-flood.svg)\n\n` +
    `### Targets for the loop during a flood\n\n` +
    `Entries of [targets.json](targets.json) with \`"group": "flood"\`, judged like every other target: met only when the ` +
    `whole interval clears the goal. Every every-item chapter and variant in its default configuration; the ` +
    `budget's cost is its throughput over the same chapter's without a budget, in the same process: before its flood, ` +
    `each process of the default configuration runs the stream with no probe (${(o.bareCount ?? o.count).toLocaleString('en')} items${o.bareMinMs ? `, or as many as a first, untimed one delivers in ${o.bareMinMs} ms if more` : ''}) ${o.bareSamples ?? 1} times with the default budget ` +
    `and as many with none (turnBudget: Infinity), alternately; the ratio of the two bests is that process's figure ` +
    `(a process that runs streams slowly runs both slowly, and cancels out), and the target is the median of the processes. With probes running, a chapter that lets the loop ` +
    `turn also does the probes' timer and I/O work, which one that holds the loop never does. ` +
    `I/O p99 during the flood minus idle's (${ms(idle?.ci.ioP99)} ms here) is the difference of the two pooled p99s, ` +
    `with an interval that resamples each side on its own. In all: ${Object.entries(counts).map(([v, n]) => `${n} ${v}`).join(', ')}.\n\n` +
    `${targetsTable(entries)}\n\n` +
    `${pacedTable(summary)}`
  );
}

// A dot per target and budget, the gap p99 and the I/O p99 with their intervals, on a log axis
// (bars cannot start at zero on one), and the gap's goal as a labelled rule.
function floodChart({ rows }) {
  const values = [];
  for (const r of rows) {
    const label = r.name === 'idle' ? 'idle (no stream)' : r.name;
    const budget = r.name === 'idle' ? 'idle' : { before: 'no budget', after: 'default budget', '-': 'runtime-bounded' }[r.budget];
    for (const [panel, ci] of [['timer gap p99 (ms)', r.ci.gapP99], ['I/O round trip p99 (ms)', r.ci.ioP99]]) {
      if (ci && Number.isFinite(ci.median)) values.push({ panel, row: `${label} · ${budget}`, budget, value: ci.median, lo: ci.lo, hi: ci.hi });
    }
  }
  const title = 'ms (log scale): median, 95% interval';
  const y = { field: 'row', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } };
  const x = { field: 'value', type: 'quantitative', scale: { type: 'log' }, title };
  const color = { field: 'budget', type: 'nominal', title: 'turn budget', scale: { domain: ['idle', 'no budget', 'default budget', 'runtime-bounded'], range: ['#848482', '#be0032', '#008856', '#0067a5'] } };
  const panel = (name, goal) => ({
    title: { text: name, anchor: 'start', fontSize: 12 },
    data: { values: values.filter((v) => v.panel === name).map((v) => ({ ...v, goal })) },
    width: 320,
    height: { step: 16 },
    layer: [
      { mark: { type: 'errorbar', ticks: true, color: 'black' }, encoding: { y, x: { field: 'lo', type: 'quantitative', scale: { type: 'log' }, title }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { y, x, color } },
      ...(goal === null
        ? []
        : [
            { mark: { type: 'rule', strokeDash: [4, 2], color: '#be0032' }, encoding: { x: { aggregate: 'max', field: 'goal', type: 'quantitative' } } },
            { mark: { type: 'text', align: 'left', dx: 3, baseline: 'top', color: '#be0032', fontSize: 10, text: `goal: ${goal} ms` }, encoding: { x: { aggregate: 'max', field: 'goal', type: 'quantitative' }, y: { value: 0 } } },
          ]),
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'The loop under a flood: timer gaps and I/O round trips while one producer floods',
    config: { font: 'sans-serif', legend: { orient: 'bottom' }, background: 'white' },
    hconcat: [panel('timer gap p99 (ms)', GOALS.gapP99Ms), panel('I/O round trip p99 (ms)', null)],
    resolve: { scale: { x: 'independent' } },
  };
}

// The decision guide's entry: which default configurations kept the loop's timer targets, and
// what holding the loop costs where a chapter can do without a budget.
function floodGuideEntry({ rows }, entries) {
  // Per target, the worse of its two timer verdicts.
  const timer = [TARGET_FIGURES.gapP99, TARGET_FIGURES.gapMax];
  const worst = new Map();
  for (const e of entries.filter((x) => timer.includes(x.figure))) {
    const before = worst.get(e.target);
    worst.set(e.target, before === 'not met' || e.verdict === 'not met' ? 'not met' : before === 'undecided' ? before : e.verdict);
  }
  const having = (verdict) => [...worst].filter(([, v]) => v === verdict).map(([t]) => t);
  const [kept, open, missed] = ['met', 'undecided', 'not met'].map(having);
  const held = rows.filter((r) => r.budget === 'before' && r.ci.gapMax?.median >= GOALS.gapMaxMs);
  const list = (names) => (names.length ? names.join(', ') : 'none');
  return (
    `- **A loop shared with timers and I/O while a producer floods** ([the loop under a flood](#the-loop-under-a-flood)): ` +
    `the 1 ms timer kept its gap p99 ≤ ${GOALS.gapP99Ms} ms and its largest gap ≤ ${GOALS.gapMaxMs} ms, both intervals clear, ` +
    `in ${list(kept)}; undecided: ${list(open)}; missed: ${list(missed)} (default configurations). ` +
    (held.length
      ? `Without a turn budget the largest gap was ${held.map((r) => `${ms(r.ci.gapMax, 1)} ms (${r.name})`).join(', ')}: ` +
        'take the default `turnBudget`, or bound the turn yourself.'
      : '')
  );
}

// Figures the guide and README quote, filled from this run.
function floodFigures({ rows }) {
  const find = (name, budget) => rows.find((r) => r.name === name && r.budget === budget);
  const fmt = (row, key, digits = 1) => (row?.ci[key] ? row.ci[key].median.toFixed(digits) : '—');
  const out = {};
  for (const [key, name] of [['ch1', '01-libev-shim'], ['ch2', '02-uv-async'], ['doorbell', '04-tsfn/doorbell'], ['ch5', '05-fast-path'], ['ch6', '06-foreign-threads']]) {
    out[`flood_${key}_before_gap_max_ms`] = fmt(find(name, 'before'), 'gapMax');
    out[`flood_${key}_after_gap_p99_ms`] = fmt(find(name, 'after'), 'gapP99');
    out[`flood_${key}_after_gap_max_ms`] = fmt(find(name, 'after'), 'gapMax');
  }
  out.flood_idle_gap_p99_ms = fmt(find('idle', '-'), 'gapP99');
  return out;
}

module.exports = { summarizeFlood, floodTargets, floodSection, floodChart, floodFigures, floodGuideEntry, GOALS, FIGURES, pacedRunsAt };
