'use strict';
// `make foreign-storm`: chapter 6 (chapters/06-foreign-threads) while the library's threads
// keep calling: worker_threads terminated mid-stream, and process.exit() mid-stream, with the
// at-once unsubscribe and a late delay far longer than the run, so that every library thread
// goes on calling after its stream's teardown until a call is refused. Counted: crashes, hangs,
// exit codes, and the library's own counts of calls and refusals (feed_stats). A library thread
// stops only at a refused call, so "every library thread finished" (each child waits for it)
// means every stream's late calls were refused, not touched freed memory.
//   node tests/reliability/foreign-storm.js
// Sizes (environment): FOREIGN_STORM_TERMINATIONS (10 000), FOREIGN_STORM_EXITS (100),
// FOREIGN_STORM_PER_PROCESS (500 terminations per child process), FOREIGN_STORM_CONCURRENCY (4
// workers at a time). FOREIGN_STORM_SANITIZER=address or thread builds a copy of the chapter with
// -fsanitize=address (LeakSanitizer included) or -fsanitize=thread under
// tests/reliability/build/foreign-storm-<sanitizer>/, preloads the runtime into each child, and
// fails on any report about the addon. What each can see:
//   address  every access of the addon's code (the library, the gate, the registry) and every
//            free anywhere (the allocator is ASan's for the whole process); not a stray access
//            inside Node's own uninstrumented code, unless it lands on the addon's memory.
//   thread   every access of the addon's code, and every mutex and atomic the addon uses; Node
//            is uninstrumented, so a race inside Node (its thread-safe function's queue, nodejs/
//            node#55706) is invisible unless the addon's own accesses take part in it. Node's
//            mutexes and condition variables go through libtsan's interceptors, so the
//            happens-before edges they make are seen.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const support = require('./lib/support');
const { scanLogs } = require('./lib/sanitizer-logs');

const ROOT = support.ROOT;
const CHILD = path.join(__dirname, 'foreign-storm-child.js');
const CHAPTER = 'chapters/06-foreign-threads';
const TERMINATIONS = support.positiveIntegerFromEnv('FOREIGN_STORM_TERMINATIONS', 10_000);
const EXITS = support.positiveIntegerFromEnv('FOREIGN_STORM_EXITS', 100);
const PER_PROCESS = support.positiveIntegerFromEnv('FOREIGN_STORM_PER_PROCESS', 500);
const CONCURRENCY = support.positiveIntegerFromEnv('FOREIGN_STORM_CONCURRENCY', 4);
const SANITIZER = process.env.FOREIGN_STORM_SANITIZER ?? '';
const LATE_MS = 600_000; // far longer than any run: threads stop at a refusal, never by the clock
const MINUTE = 60_000;

function runtimeLibrary(name) {
  return execFileSync(process.env.CXX ?? 'g++', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
}

// Where the chapter under test is, and what its children need: the chapter's own build, or a
// sanitized copy (common/ and the chapter, built with the repo's build-addon.js).
function prepare() {
  if (SANITIZER === '') return { modulePath: path.join(ROOT, CHAPTER), env: {}, logDir: null };
  if (!['address', 'thread'].includes(SANITIZER)) {
    throw new RangeError(`FOREIGN_STORM_SANITIZER must be address or thread, got ${JSON.stringify(SANITIZER)}`);
  }
  const work = path.join(__dirname, 'build', `foreign-storm-${SANITIZER}`);
  const tree = path.join(work, 'tree');
  const logDir = path.join(work, 'logs');
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  const withoutBuild = (source) => !source.split(path.sep).includes('build');
  for (const part of ['common', CHAPTER]) {
    fs.cpSync(path.join(ROOT, part), path.join(tree, part), { recursive: true, preserveTimestamps: true, filter: withoutBuild });
  }
  const flags = `-fsanitize=${SANITIZER} -fno-omit-frame-pointer -g -O1`;
  console.log(`== building ${CHAPTER} with ${flags}`);
  execFileSync(process.execPath, [path.join(ROOT, 'common', 'setup', 'build-addon.js'), path.join(tree, CHAPTER)], {
    stdio: 'inherit',
    env: { ...process.env, CFLAGS: flags, CXXFLAGS: flags, LDFLAGS: `-fsanitize=${SANITIZER}` },
  });
  const stack = "stack_trace_format='    #%n %p in %f %S <%m+%o>'";
  const env =
    SANITIZER === 'address'
      ? {
          LD_PRELOAD: runtimeLibrary('libasan.so'),
          // As tests/reliability/asan.js: Node is uninstrumented; exitcode=0 keeps Node's own
          // leaks at exit from changing exit codes, abort_on_error makes an error visible.
          ASAN_OPTIONS: ['detect_leaks=1', 'alloc_dealloc_mismatch=0', 'detect_odr_violation=0', 'abort_on_error=1', 'exitcode=0', stack, `log_path=${path.join(logDir, 'asan')}`].join(':'),
        }
      : {
          LD_PRELOAD: runtimeLibrary('libtsan.so'),
          // exitcode=0: a report fails the run through the log, not through the exit code, which
          // the exit cases check; report_signal_unsafe=0: Node's signal handlers are its own.
          TSAN_OPTIONS: ['exitcode=0', 'report_signal_unsafe=0', `log_path=${path.join(logDir, 'tsan')}`].join(':'),
        };
  return { modulePath: path.join(tree, CHAPTER), env, logDir, module: path.join(tree, CHAPTER, 'build', 'Release', 'texample.node') };
}

// ThreadSanitizer's reports (scanLogs reads ASan's): each "WARNING: ThreadSanitizer" block, kept
// when any of its frames is in the addon. The others are Node's own: uninstrumented, its atomics
// are invisible to TSan, which then reports the frees and memmoves they order as races (worker
// message ports, V8's platform jobs); they are counted, not failed.
function tsanReports(logDir, module) {
  const found = { reports: [], nodeReportsIgnored: 0 };
  if (!fs.existsSync(logDir)) return found;
  for (const file of fs.readdirSync(logDir)) {
    const text = fs.readFileSync(path.join(logDir, file), 'utf8');
    for (const block of text.split(/^==================$/m)) {
      if (!/WARNING: ThreadSanitizer/.test(block)) continue;
      if (block.includes(module)) found.reports.push(`${file}: ${block.trim().split('\n').slice(0, 14).join('\n')}`);
      else found.nodeReportsIgnored++;
    }
  }
  return found;
}

async function main() {
  const started = Date.now();
  const { modulePath, env, logDir, module } = prepare();
  const childEnv = { ...process.env, ...env };
  const totals = { terminations: 0, workerExitCodes: {}, processes: 0, crashes: 0, hangs: 0, failed: 0, mainStreamsBroken: 0 };
  const library = { calls: 0, refused: 0, callsAfterUnsubscribe: 0, unmatched: 0 };
  const failures = [];

  for (let done = 0; done < TERMINATIONS; done += PER_PROCESS) {
    const rounds = Math.min(PER_PROCESS, TERMINATIONS - done);
    const args = [CHILD, 'terminate', modulePath, String(rounds), String(CONCURRENCY), String(LATE_MS)];
    const result = await support.runNode(args, { timeoutMs: 30 * MINUTE, env: childEnv });
    totals.processes++;
    const kind = support.exitKind(result);
    if (kind !== 'ok') {
      totals[kind === 'hang' ? 'hangs' : 'crashes']++;
      failures.push(`terminate process ${totals.processes}: ${support.describeExit(result)} ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`);
      continue;
    }
    const line = support.lastJson(result.stdout);
    totals.terminations += line.rounds;
    for (const [code, n] of Object.entries(line.exitCodes)) totals.workerExitCodes[code] = (totals.workerExitCodes[code] ?? 0) + n;
    for (const key of Object.keys(library)) library[key] += line.library[key];
    const s = line.mainStats;
    if (!line.mainItemsInOrder || s.sent !== s.delivered + s.dropped) totals.mainStreamsBroken++;
    // Each terminated stream, and the main one, stops its threads at a refusal: one per thread at
    // most (two producers), one per stream at least.
    const streams = line.rounds + 1;
    if (line.library.refused < streams || line.library.refused > 2 * streams) {
      failures.push(`terminate process ${totals.processes}: ${line.library.refused} refusals for ${streams} streams`);
    }
    console.log(`foreign storm: ${done + rounds}/${TERMINATIONS} workers terminated; ${line.library.refused} refusals (${line.library.unmatched} found no stream)`);
  }

  const variants = ['callback', 'timer', 'worker'];
  const exitsByVariant = Object.fromEntries(variants.map((v) => [v, 0]));
  for (let exit = 0; exit < EXITS; exit++) {
    const variant = variants[exit % variants.length];
    const result = await support.runNode([CHILD, 'exit', modulePath, variant, String(LATE_MS)], { timeoutMs: 5 * MINUTE, env: childEnv });
    totals.processes++;
    const kind = support.exitKind(result);
    if (kind !== 'ok') {
      totals[kind === 'hang' ? 'hangs' : 'crashes']++;
      failures.push(`exit (${variant}) ${exit}: ${support.describeExit(result)} ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`);
      continue;
    }
    exitsByVariant[variant]++;
  }
  console.log(`foreign storm: ${EXITS} process.exit() calls mid-stream: ${JSON.stringify(exitsByVariant)} exited 0`);

  const sanitizer = { name: SANITIZER || 'none', reports: [], leaks: [] };
  if (SANITIZER === 'address') {
    const found = scanLogs(logDir, { ownModules: [path.dirname(path.dirname(path.dirname(module))) + path.sep] });
    sanitizer.reports = found.asanErrors;
    sanitizer.leaks = found.addonLeaks;
    sanitizer.logFiles = found.files;
    sanitizer.nodeLeakReportsIgnored = found.otherLeaks;
  } else if (SANITIZER === 'thread') {
    Object.assign(sanitizer, tsanReports(logDir, module));
    sanitizer.logFiles = fs.existsSync(logDir) ? fs.readdirSync(logDir).length : 0;
  }
  for (const report of [...sanitizer.reports, ...sanitizer.leaks]) failures.push(`${SANITIZER}: ${report}`);
  if ((totals.workerExitCodes[1] ?? 0) !== totals.terminations) failures.push(`worker exit codes ${JSON.stringify(totals.workerExitCodes)}`);
  if (totals.mainStreamsBroken !== 0) failures.push(`${totals.mainStreamsBroken} main-thread streams lost or reordered items`);
  totals.failed = failures.length;

  const name = SANITIZER ? `foreign-storm-${SANITIZER}` : 'foreign-storm';
  const file = support.writeResult(
    name,
    { sizes: { TERMINATIONS, EXITS, PER_PROCESS, CONCURRENCY, LATE_MS }, totals, library, exitsByVariant, sanitizer, failures, minutes: +((Date.now() - started) / MINUTE).toFixed(1) },
    { sizePrefixes: ['FOREIGN_STORM_'] },
  );
  for (const failure of failures.slice(0, 20)) console.log(`FAILED: ${failure}`);
  support.finish(
    `foreign storm${SANITIZER ? ` (${SANITIZER} sanitizer)` : ''}: ${totals.terminations} workers terminated, ` +
      `${Object.values(exitsByVariant).reduce((a, b) => a + b, 0)}/${EXITS} process.exit() calls exited 0; ` +
      `${totals.crashes} crashes, ${totals.hangs} hangs; the library made ${library.calls} calls, ` +
      `${library.refused} refused (${library.unmatched} found no stream, ${library.callsAfterUnsubscribe} after an unsubscribe returned)` +
      (SANITIZER ? `; ${sanitizer.reports.length} ${SANITIZER} reports, ${sanitizer.leaks.length} addon leaks` : ''),
    failures.length,
    file,
  );
}

main();
