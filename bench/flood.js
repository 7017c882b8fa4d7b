'use strict';
// The loop under a flood: how much of the main thread's event loop is left to timers and I/O
// while a producer floods a chapter as fast as it can. Per target and per turn budget, in fresh
// processes, one at a time: an untimed warm-up stream, then an unpaced flood of `count` items
// from one producer (again and again until the floods have lasted floodMs, see probedStream; a
// runtime-bounded target's flood is shorter, see floodCount)
// while three probes run on the same main thread:
//   - a 1 ms setInterval, whose gaps between ticks are recorded (p50, p99, max);
//   - perf_hooks.monitorEventLoopDelay at 1 ms resolution (p50, p99, max);
//   - an I/O round trip through the loop: every tick of that interval sends 8 bytes to a loopback
//     (127.0.0.1) TCP echo server, unless the previous ping is still out, and records the time
//     until the echo's data callback runs (p50, p99). The server runs on the same loop, in the
//     same process (see startEchoServer): a request that loop reads and answers.
// Before the flood, in the same process, the same stream with no probe at all ("bare"; only for
// the targets that take a budget; bareCount items or BARE_MIN_MS of them, see bareCountFor; a
// throughput needs no more), bareSamples times,
// the best kept, and with the default budget
// as many again with none, alternating: the budget's cost is the ratio within the process (see
// bareStreams). With probes, a
// chapter that lets the loop turn also does the probes' timer and I/O work, which a chapter
// holding the loop never does.
// After the flood, in the same process and with fresh probes, one paced stream per rate of `rates` (the
// harness's sweep rates), each lasting about pacedMs: the loop at rates a chapter keeps up with.
// Paced streams run for the default budget only.
// When a stream ends, the gap since the last tick and a ping still out are recorded as they
// stand: a loop held for the whole flood would otherwise show no gap at all. The event-loop delay
// histogram has no such correction: it samples on a timer of its own, and misses a stall at the
// end. The same probes with no stream at all ("idle", for idle-ms) run in the same rounds. Targets
// that take the turnBudget option (common/turn-budget.js) run twice: "before", turnBudget:
// Infinity (every wake-up delivers everything it takes) and "after", the default budget. Each
// round runs every configuration once (a "before" one, and the paced streams, in the first
// sideRounds only, a runtime-bounded one in the first boundedRounds), in an order rotated from
// round to round; the summary
// gives the median of the rounds with the range (lowest–highest); bench/flood-report.js turns the
// runs into the report's section, its chart and its targets, with bootstrap intervals.
// The callback adds each item into a Float64Array, as the floors' callbacks do (bench/run-one.js):
// a `sum += i` on a closure variable allocates a heap number per call past 2^31, and the
// scavenges that follow would be the callback's pauses, not the wake-up mechanism's.
//   node bench/flood.js [--rounds 7] [--bounded-rounds 5] [--side-rounds 2] [--count 2000000] [--warmup 50000] [--idle-ms 500]
//                       [--rates 10000,100000,1000000] [--paced-ms 100] [--flood-ms 400]
//                       [--bare-samples 2] [--bare-count 500000] [--placement fastest|pinned|none]
//                       [--targets 01-libev-shim,04-tsfn/doorbell] [--budgets before,after]
//                       [--out FILE]
// --placement: 'fastest' pins a process's main thread to the fastest vCPU only where one vCPU is
// slow (SLOW_VCPU), 'pinned' always, 'none' never (see placed).
// Prints a progress line per round and a table; writes every run and the summary as JSON to FILE
// (default bench/results/flood.json, which make report reads; a run narrowed by --targets, as the
// chapters' pages run it, writes bench/results/flood-<targets>.json instead). Targets: every chapter and variant the harness measures
// (chapter 0 aside); a name in --targets selects that target exactly, or every target under a
// chapter. --rates '' runs no paced streams.
// Each process is bounded: the flood by `count`, the process by a time-out that kills it.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { chapterTargets } = require('../common/chapters');
const { collectEnvironment, gitCommit } = require('./environment');
const { FIGURES, pacedRunsAt } = require('./flood-report');
const placement = require('./placement');

const RUN_TIMEOUT_MS = 120_000; // only so that a hang ends the run, not the whole experiment
const MS = 1e6;

const nowNs = () => Number(process.hrtime.bigint());

function parseArgs(argv) {
  const options = {
    // Seven processes per configuration that a target judges, where the figures come per process:
    // a bootstrap interval of the median of five reaches the lowest and the highest process, so
    // one process caught by a slow spell of the machine set the verdict of the budget's cost.
    // Of seven it reaches the second lowest and the second highest. Pairs of runs simulated from
    // 65 measured processes a configuration: the verdicts of the chapters that take a budget
    // agreed 21.3 times of 24 with five processes, 22.6-23.3 with seven; in two pairs of
    // `make report` runs with seven, the budget's cost agreed 6 and 5 times of 6 (3-6 in seven
    // pairs with five). A runtime-bounded chapter runs in the first boundedRounds only, so that
    // the experiment keeps its time: its verdicts (pooled percentiles, near their goals, and the
    // largest gap) gained less, 12.7 of 15 with five, 13.1-13.4 with seven. What no target judges
    // runs in the first sideRounds only: the configurations without a budget (they show what the
    // budget changes) and the paced streams (some 0.7 s of each process).
    rounds: 7,
    boundedRounds: 5,
    sideRounds: 2,
    count: 2_000_000,
    warmup: 50_000,
    idleMs: 500,
    targets: null,
    budgets: ['before', 'after'],
    rates: [1e4, 1e5, 1e6],
    pacedMs: 100,
    floodMs: 400,
    bareSamples: 2,
    bareCount: 500_000,
    placement: 'fastest',
    out: null,
  };
  const integer = (name, text, min) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  for (let k = 0; k < argv.length; k += 2) {
    const [flag, value] = [argv[k], argv[k + 1]];
    if (value === undefined) throw new TypeError(`${flag} needs a value`);
    if (flag === '--rounds') options.rounds = integer('rounds', value, 1);
    else if (flag === '--side-rounds') options.sideRounds = integer('side-rounds', value, 1);
    else if (flag === '--bounded-rounds') options.boundedRounds = integer('bounded-rounds', value, 1);
    else if (flag === '--count') options.count = integer('count', value, 1);
    else if (flag === '--warmup') options.warmup = integer('warmup', value, 0);
    else if (flag === '--idle-ms') options.idleMs = integer('idle-ms', value, 1);
    else if (flag === '--targets') options.targets = value.split(',').filter(Boolean);
    else if (flag === '--budgets') options.budgets = value.split(',').filter(Boolean);
    else if (flag === '--rates') options.rates = value.split(',').filter(Boolean).map((rate) => integer('rates', rate, 1));
    else if (flag === '--paced-ms') options.pacedMs = integer('paced-ms', value, 1);
    else if (flag === '--flood-ms') options.floodMs = integer('flood-ms', value, 0);
    else if (flag === '--bare-samples') options.bareSamples = integer('bare-samples', value, 1);
    else if (flag === '--bare-count') options.bareCount = integer('bare-count', value, 1);
    else if (flag === '--placement') options.placement = value;
    else if (flag === '--out') options.out = path.resolve(value);
    else throw new TypeError(`unknown argument ${flag} (see the header of bench/flood.js)`);
  }
  if (options.out === null) {
    const narrowed = options.targets ? `-${options.targets.join('+').replaceAll('/', '_')}` : '';
    options.out = path.join(__dirname, 'results', `flood${narrowed}.json`);
  }
  // No configuration runs in more rounds than there are (roundsOf).
  options.boundedRounds = Math.min(options.boundedRounds, options.rounds);
  options.sideRounds = Math.min(options.sideRounds, options.rounds);
  if (!['fastest', 'pinned', 'none'].includes(options.placement)) {
    throw new RangeError(`--placement: 'fastest', 'pinned' or 'none', got ${options.placement}`);
  }
  for (const budget of options.budgets) {
    if (!['before', 'after'].includes(budget)) throw new RangeError(`--budgets: 'before' or 'after', got ${budget}`);
  }
  return options;
}

// --- one run, in a process of its own ------------------------------------------------------

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// Its percentiles, and every sample in µs (whole), which the report pools over the processes.
function summarize(valuesNs) {
  const sorted = [...valuesNs].sort((a, b) => a - b);
  const ms = (ns) => (ns === null ? null : ns / MS);
  return {
    count: sorted.length,
    p50: ms(percentile(sorted, 50)),
    p99: ms(percentile(sorted, 99)),
    max: ms(sorted.at(-1) ?? null),
    samplesUs: valuesNs.map((ns) => Math.round(ns / 1000)),
  };
}

// The loopback echo server, on the loop under test: it echoes every byte. A round trip is then
// two turns of that loop (one reads the ping and writes the echo, the next reads the echo), and
// nothing else. An echo in another process would add the time the scheduler takes to run that
// process while the producer and the main thread hold both vCPUs: measured on this kind of VM,
// 5 fresh processes each, batch mode's I/O p99 above idle's was 2.35 ms [0.73-3.63] with the echo
// in the parent process, against 0.03 ms [-0.05-0.09] with the echo on the loop.
function startEchoServer() {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.pipe(socket);
    socket.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.on('error', reject);
  });
}

// The three probes, started together; stop() returns their figures.
function startProbes(socket) {
  const gaps = [];
  const trips = [];
  let last = nowNs();
  let pingSentNs = null;
  const PING = Buffer.alloc(8, 0x2a);
  let echoed = 0;
  socket.on('data', (chunk) => {
    echoed += chunk.length;
    if (echoed < PING.length || pingSentNs === null) return;
    echoed -= PING.length;
    trips.push(nowNs() - pingSentNs);
    pingSentNs = null;
  });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const interval = setInterval(() => {
    const now = nowNs();
    gaps.push(now - last);
    last = now;
    if (pingSentNs === null) {
      pingSentNs = now;
      socket.write(PING);
    }
  }, 1);
  return () => {
    // A loop held until the stream ended shows no tick and no echo for that time: the gap still
    // open and a ping still out count too, as what they are at least.
    const now = nowNs();
    gaps.push(now - last);
    if (pingSentNs !== null) trips.push(now - pingSentNs);
    clearInterval(interval);
    delay.disable();
    const eld = delay.count === 0
      ? { count: 0, p50: null, p99: null, max: null }
      : { count: delay.count, p50: delay.percentile(50) / MS, p99: delay.percentile(99) / MS, max: delay.max / MS };
    return { gaps: summarize(gaps), eventLoopDelay: eld, ioRoundTrip: summarize(trips) };
  };
}

// The child's placement (runOne). The flood measures the main thread's loop: how long a wake-up
// holds it is items × the callback's cost, and on this kind of VM one vCPU at a time can run at
// little over half the other's speed, for minutes on end; unpinned, a process's gaps would then
// double or not with the vCPU its main thread happened to start on. So a child first times a loop
// on each vCPU (bench/placement.js, fastestCpu), and where the slowest took SLOW_VCPU times the
// fastest's time or more, its main thread runs on the fastest and every other thread on the rest.
// Otherwise it runs unpinned: with the vCPUs at one speed, pinning only costs (measured: batch
// mode's gap p99 1.33 ms pinned against 1.15 unpinned, its bare rate 131-146 M/s against 167-180).
// null: unpinned.
const SLOW_VCPU = 1.25;
let placed = null;

// One stream, timed: its length, its rate and its stats.
async function timedStream(texample, options) {
  const began = nowNs();
  const stats = await (placed ? placed.start(texample, options) : texample.start(options));
  const streamMs = (nowNs() - began) / MS;
  return { streamMs, itemsPerSecond: stats.delivered / (streamMs / 1000), stats };
}

// Probes around one stream, or around several back to back until they have lasted minMs (at most
// MAX_FLOODS): a 2 M-item flood through a fast chapter lasts about 130 ms, some 130 ticks, and the
// p99 of so few is their second largest, which one timer stall of the machine's sets. The probes
// run on through the streams, so their samples pool. Its figures, the streams' time and rate, the
// last stream's stats with the largest wake-up of them all, and how many streams ran.
const MAX_FLOODS = 40;
async function probedStream(texample, socket, options, minMs = 0) {
  const stop = startProbes(socket);
  let streamMs = 0;
  let delivered = 0;
  let maxItemsPerWakeup = 0;
  let stream;
  let floods = 0;
  do {
    stream = await timedStream(texample, options);
    streamMs += stream.streamMs;
    delivered += stream.stats.delivered;
    maxItemsPerWakeup = Math.max(maxItemsPerWakeup, stream.stats.maxItemsPerWakeup ?? 0);
    floods++;
  } while (streamMs < minMs && floods < MAX_FLOODS);
  const stats = { ...stream.stats, maxItemsPerWakeup };
  return { streamMs, itemsPerSecond: delivered / (streamMs / 1000), stats, floods, ...stop() };
}

// The same stream with no probe, `samples` times, the best kept (as the harness's throughput,
// bench/run-one.js): other work on the machine only slows a stream down, so the fastest is what
// this process could do. With `paired` (the default budget's configuration), each sample is also
// run with no budget (turnBudget: Infinity), the two alternating and taking turns to go first:
// the budget's cost is the ratio of the two bests within the process, from which the process's
// own speed cancels (some processes run a stream far slower than others, all through).
async function bareStreams(texample, options, samples, paired) {
  const runs = { budget: [], none: [] };
  const unbudgeted = { ...options, turnBudget: Infinity };
  for (let k = 0; k < samples; k++) {
    const order = paired ? (k % 2 ? ['none', 'budget'] : ['budget', 'none']) : ['budget'];
    for (const which of order) runs[which].push(await timedStream(texample, which === 'none' ? unbudgeted : options));
  }
  const best = (list) => {
    const top = list.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
    return { streamMs: top.streamMs, itemsPerSecond: top.itemsPerSecond, samplesPerSecond: list.map((r) => r.itemsPerSecond) };
  };
  return { bare: best(runs.budget), ...(paired ? { bareWithoutBudget: best(runs.none) } : {}) };
}

// The items of one flood: `count`, or for a target that takes no budget (its loop bounded by its
// runtime, whatever the flood's length) as many as the untimed warm-up's rate delivers in half of
// floodMs if that is fewer (two or three such floods then fill the window). A runtime-bounded
// chapter delivers 2 M items in 2 to 4 s: ten times the others' window, and most of the
// experiment's time. A target that takes a budget keeps `count`: with turnBudget Infinity its
// longest gap grows with the flood.
async function floodCount(texample, options, config) {
  if (config.warmup === 0) return config.count;
  const warmup = await timedStream(texample, { ...options, count: config.warmup });
  if (config.budget !== '-' || config.floodMs === 0) return config.count;
  const inWindow = Math.round((warmup.itemsPerSecond * config.floodMs) / 2000);
  return Math.max(config.warmup, Math.min(config.count, inWindow));
}

// The bare streams' items: bareCount, or as many as a first, untimed bare stream's rate delivers
// in BARE_MIN_MS if that is more. Batch mode delivers 500 000 items
// in about 3 ms, too short a stream to time: its budget's cost ran from 0.86 to 1.08 over
// processes. (The warm-up's rate cannot size them: its 50 000 items are mostly start-up.)
const BARE_MIN_MS = 25;
async function bareCountFor(texample, options, config, count) {
  const first = Math.min(count, config.bareCount);
  const sizing = await timedStream(texample, { ...options, count: first });
  return Math.max(first, Math.round((sizing.itemsPerSecond * BARE_MIN_MS) / 1000));
}

async function runOne(config) {
  const fastest = config.placement === 'none' ? { cpu: null, slowest: 1, passesUs: [] } : placement.fastestCpu();
  placed = fastest.slowest >= SLOW_VCPU || config.placement === 'pinned' ? placement.mainOn(fastest.cpu) : null;
  placed?.place();
  const server = await startEchoServer();
  const socket = await connect(server.address().port);
  let result;
  if (config.modulePath === null) {
    const stop = startProbes(socket);
    const began = nowNs();
    await new Promise((resolve) => setTimeout(resolve, config.idleMs));
    result = { streamMs: (nowNs() - began) / MS, ...stop() };
  } else {
    const texample = require(config.modulePath);
    const options = { ...config.startOptions, ...config.budgetOptions, rate: 0, producers: 1 };
    const sum = new Float64Array(1);
    texample.callback = (i) => {
      sum[0] += i;
    };
    const count = await floodCount(texample, options, config);
    const bareCount = config.budget === '-' ? null : await bareCountFor(texample, options, config, count);
    const bare = bareCount === null ? null : await bareStreams(texample, { ...options, count: bareCount }, config.bareSamples, config.budget === 'after');
    result = await probedStream(texample, socket, { ...options, count }, config.floodMs);
    result.floodCount = count;
    result.bareCount = bareCount;
    Object.assign(result, bare);
    result.paced = [];
    for (const rate of config.rates) {
      const count = Math.max(1, Math.round((rate * config.pacedMs) / 1000));
      result.paced.push({ rate, ...(await probedStream(texample, socket, { ...options, rate, count })) });
    }
    result.checksum = sum[0] > 0;
  }
  socket.destroy();
  server.close();
  return { ...result, mainCpu: placed?.cpu ?? null, slowestVcpu: fastest.slowest, cpuPassesUs: fastest.passesUs };
}

// --- the experiment: configurations, rounds, summary ---------------------------------------

// Whether a target takes turnBudget: its unknown-option error lists what it knows.
function takesTurnBudget(modulePath) {
  const texample = require(modulePath);
  try {
    texample.start({ '\u0001probe': 1 });
  } catch (error) {
    return /known: .*\bturnBudget\b/.test(String(error?.message));
  }
  return false;
}

function configurations(options) {
  const selected = (name) =>
    !options.targets || options.targets.some((t) => name === t || name.startsWith(`${t}/`));
  const configs = [{ name: 'idle', budget: '-', modulePath: null, idleMs: options.idleMs, placement: options.placement }];
  for (const target of chapterTargets()) {
    if (target.bench === false || !selected(target.name)) continue;
    const base = { name: target.name, modulePath: target.modulePath, startOptions: target.startOptions };
    const common = { count: options.count, warmup: options.warmup, pacedMs: options.pacedMs, floodMs: options.floodMs, bareSamples: options.bareSamples, bareCount: options.bareCount, placement: options.placement };
    const paced = { rates: options.rates };
    const unpacedOnly = { rates: [] };
    if (!takesTurnBudget(target.modulePath)) {
      configs.push({ ...base, ...common, ...paced, budget: '-', budgetOptions: {} });
      continue;
    }
    if (options.budgets.includes('before')) {
      configs.push({ ...base, ...common, ...unpacedOnly, budget: 'before', budgetOptions: { turnBudget: Infinity } });
    }
    if (options.budgets.includes('after')) configs.push({ ...base, ...common, ...paced, budget: 'after', budgetOptions: {} });
  }
  return configs;
}

function runChild(config) {
  // JSON has no Infinity: the child reads turnBudget 'Infinity' back as a number.
  const text = JSON.stringify(config, (key, value) => (value === Infinity ? 'Infinity' : value));
  const child = spawn(process.execPath, [__filename, '--child', text], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1);
      if (code === 0 && line) resolve(JSON.parse(line));
      else resolve({ failed: `exit ${code ?? signal}: ${stderr.trim().slice(-400)}` });
    });
  });
}

function medianAndRange(values) {
  const sorted = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, low: sorted[0], high: sorted.at(-1) };
}

function figuresOf(runs) {
  const figures = {};
  for (const [name, read] of Object.entries(FIGURES)) figures[name] = medianAndRange(runs.map(read));
  return figures;
}

function summary(config, runs) {
  const good = runs.filter((r) => !r.failed);
  const paced = (config.rates ?? []).map((rate) => ({ rate, figures: figuresOf(pacedRunsAt(good, rate)) }));
  return { name: config.name, budget: config.budget, runs: good.length, failed: runs.length - good.length, figures: figuresOf(good), paced };
}

function show(figure, digits = 2) {
  if (!figure) return '-';
  const f = (v) => v.toFixed(digits);
  return `${f(figure.median)} (${f(figure.low)}–${f(figure.high)})`;
}

function printTable(summaries, options) {
  const rows = summaries.map((s) => [
    s.name,
    s.budget,
    show(s.figures.streamMs, 0),
    s.figures.itemsPerSecond ? show({ ...mapFigure(s.figures.itemsPerSecond, 1e-6) }, 1) : '-',
    s.figures.bareItemsPerSecond ? show({ ...mapFigure(s.figures.bareItemsPerSecond, 1e-6) }, 1) : '-',
    show(s.figures.gapP50),
    show(s.figures.gapP99),
    show(s.figures.gapMax, 1),
    show(s.figures.eldP99),
    show(s.figures.ioP50),
    show(s.figures.ioP99),
  ]);
  const header = ['target', 'budget', 'stream ms', 'M items/s', 'bare M items/s', 'gap p50 ms', 'gap p99 ms', 'gap max ms', 'delay p99 ms', 'I/O p50 ms', 'I/O p99 ms'];
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells) => cells.map((c, k) => c.padEnd(widths[k])).join('  ').trimEnd();
  console.log(
    `${options.count} unpaced items (runtime-bounded: at most ${options.floodMs / 2} ms of them at the warm-up's rate), 1 producer, ` +
      `after ${options.warmup} untimed, repeated to ${options.floodMs} ms; ` +
      `1 ms interval, loopback echo on the same loop; median (range) of ${options.rounds} fresh processes each (${options.boundedRounds} runtime-bounded, ${options.sideRounds} without a budget)`,
  );
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

function mapFigure(figure, factor) {
  return { median: figure.median * factor, low: figure.low * factor, high: figure.high * factor };
}

// The rounds a configuration runs in, from the first (see parseArgs).
function roundsOf(config, options) {
  if (config.budget === 'before') return options.sideRounds;
  if (config.budget === '-' && config.modulePath !== null) return options.boundedRounds;
  return options.rounds;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const configs = configurations(options);
  const runs = configs.map(() => []);
  const loadAverageAtStart = os.loadavg().map((l) => +l.toFixed(2));
  const started = Date.now();
  for (let round = 0; round < options.rounds; round++) {
    let processes = 0;
    for (let k = 0; k < configs.length; k++) {
      const index = (k + round) % configs.length; // rotated: no configuration always runs first
      const side = round >= options.sideRounds;
      if (round >= roundsOf(configs[index], options)) continue;
      processes++;
      const result = await runChild({ ...configs[index], ...(side && { rates: [] }) });
      runs[index].push({ round, ...result });
      if (result.failed) console.error(`${configs[index].name} (${configs[index].budget}): ${result.failed}`);
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    process.stderr.write(`flood: round ${round + 1}/${options.rounds} done, ${processes} processes, ${seconds} s so far\n`);
  }
  const summaries = configs.map((config, k) => summary(config, runs[k]));
  printTable(summaries, options);
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  const record = {
    experiment: 'flood',
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    commit: gitCommit(),
    options: { ...options, slowVcpu: SLOW_VCPU, bareMinMs: BARE_MIN_MS, out: undefined },
    environment: { ...collectEnvironment(), loadAverageAtStart },
    summaries,
    runs: configs.map((config, k) => ({ config, runs: runs[k] })),
  };
  fs.writeFileSync(options.out, `${JSON.stringify(record, null, 2)}\n`);
  if (summaries.some((s) => s.failed > 0)) process.exitCode = 1;
}

if (require.main !== module) {
  module.exports = { parseArgs, roundsOf }; // for tests/flood-rounds.test.js
} else if (process.argv[2] === '--child') {
  const config = JSON.parse(process.argv[3], (key, value) => (value === 'Infinity' ? Infinity : value));
  runOne(config).then(
    (result) => process.stdout.write(`${JSON.stringify({ config: { name: config.name, budget: config.budget }, ...result })}\n`),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main();
}
