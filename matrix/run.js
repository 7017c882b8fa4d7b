'use strict';
// make matrix: every chapter and variant under Node 20 (the system's), 22, 24 and 26, Bun and
// Deno, and under Node 22 and 24 for linux-arm64 through qemu-user (the runtimes come from
// matrix/package.json, installed by make matrix). Writes matrix/results.json; matrix/page.js
// turns it into docs/portability.md.
//   node matrix/run.js
// Steps, with a progress line each: versions; builds (nan per Node ABI; the Node-API binaries
// built once, by the system Node, and checksummed); the conformance suite (node:test) under each
// Node; the contract cases (matrix/case.js, one process each) under Bun and Deno; the harness's
// jobs (bench/run-one.js) under every x86-64 runtime.
// An arm64 Node (matrix/cross.js) builds every chapter and recipe itself, with the aarch64 cross
// compilers, in a copy of the sources of its own, and runs the conformance suite, every
// recipe's test.js and chapter 5's tests/fast-path.test.js there; a relaxed message-passing
// test (matrix/litmus/) shows which memory order qemu-user gives them.
// Sizes: MATRIX_CASES=a,b,… runs only those contract cases under Bun and Deno (CI's reduced
// size); MATRIX_SKIP=builds,suite,bench leaves steps out (builds: the nan builds per Node, which
// a run narrowed to Node-API chapters with CHAPTERS=… does not need); MATRIX_RUNTIMES=node22,bun,…
// only those; CHAPTERS=04,05 only those chapters (the arm64 runs still build and test every
// recipe); MATRIX_UPDATE=1 replaces, in the results file, only what the runtimes run now produce,
// and keeps the rest from the run before, each runtime with the date of the run it comes from.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { chapterTargets } = require('../common/chapters');
const { knownFailure } = require('./known-failures');
const { CROSS_ENV, requireArm64, stageTree } = require('./cross');

const REPO = path.join(__dirname, '..');
const MODULES = path.join(__dirname, 'node_modules');
const RESULTS = process.env.MATRIX_RESULTS ?? path.join(__dirname, 'results.json');
const SKIP = (process.env.MATRIX_SKIP ?? '').split(',').filter(Boolean);
const ONLY = process.env.MATRIX_RUNTIMES?.split(',').filter(Boolean); // e.g. node22,bun

const RUNTIMES = [
  { id: 'node20', kind: 'node', command: [process.execPath] },
  ...[22, 24, 26].map((major) => ({
    id: `node${major}`,
    kind: 'node',
    command: [path.join(MODULES, `node${major}`, 'bin', 'node')],
  })),
  { id: 'bun', kind: 'bun', command: [path.join(MODULES, 'bun', 'bin', 'bun.exe')] },
  {
    id: 'deno',
    kind: 'deno',
    command: [path.join(MODULES, '.bin', 'deno'), 'run', '-A', '--unstable-detect-cjs'],
  },
  ...[22, 24].map((major) => ({
    id: `node${major}-arm64`,
    kind: 'node',
    arch: 'arm64',
    command: [path.join(MODULES, `node${major}-arm64`, 'bin', 'node')],
  })),
];

if (ONLY) RUNTIMES.splice(0, RUNTIMES.length, ...RUNTIMES.filter((r) => ONLY.includes(r.id)));

const started = Date.now();
function progress(step, message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stdout.write(`[${seconds} s] ${step.padEnd(10)} ${message}\n`);
}

// Runs one command; resolves { code, signal, stdout, stderr }, killed after `timeoutMs`.
function run(command, args, { timeoutMs = 120_000, env, cwd = REPO } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// In an arm64 runtime's own copy of the sources (matrix/cross.js), with time-outs for qemu.
const runOn = (runtime, args, options = {}) =>
  run(runtime.command[0], [...runtime.command.slice(1), ...args], {
    cwd: runtime.tree,
    ...options,
    ...(runtime.arch && { timeoutMs: (options.timeoutMs ?? 120_000) * QEMU_SLOWDOWN }),
  });
// Through qemu-user the arm64 Node runs about four times slower than the host's (more with the
// cores shared): its time-outs are this many times longer.
const QEMU_SLOWDOWN = 8;

// Up to `width` promises at a time (two cores).
async function pool(items, width, work) {
  const results = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

// How a crashed process shows: a signal other than our time-out's SIGKILL (a hang), or the exit
// codes of an abort.
const crashed = (result) =>
  (result.signal !== null && result.signal !== 'SIGKILL') || result.code === 134 || result.code === 139;

async function versions(results) {
  for (const runtime of RUNTIMES) {
    const result = await runOn(runtime, ['matrix/versions.js']);
    results.runtimes[runtime.id] = { ...JSON.parse(result.stdout.trim()), id: runtime.id };
    progress('versions', `${runtime.id}: ${result.stdout.trim()}`);
  }
}

async function builds(results) {
  const nanChapters = ['chapters/00-original', 'chapters/01-libev-shim', 'chapters/03-async-worker'];
  for (const runtime of RUNTIMES.filter((r) => r.kind === 'node' && !r.arch)) {
    for (const chapter of nanChapters) {
      const args = ['common/setup/build-addon.js', chapter];
      if (runtime.id !== 'node20') args.push('--v8-only'); // the Node-API binaries: built once
      const result = await runOn(runtime, args, { timeoutMs: 600_000 });
      results.builds.push({ runtime: runtime.id, chapter, ok: result.code === 0 });
      progress('build', `${runtime.id} ${chapter} (nan, ABI of this Node): ${result.code === 0 ? 'ok' : 'FAILED'}`);
    }
  }
  for (const file of fs.readdirSync(path.join(REPO, 'chapters')).flatMap((chapter) => {
    const dir = path.join(REPO, 'chapters', chapter, 'build', 'Release');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.node')).map((f) => path.join(dir, f)) : [];
  })) {
    results.nodeApiBinaries.push({ file: path.relative(REPO, file), sha256: sha256(file) });
  }
}

// An arm64 Node builds, in its own copy of the sources, every chapter (those CHAPTERS names) and
// every recipe, two at a time, for its own ABI, with the aarch64 cross compilers.
async function armBuilds(results, runtime) {
  const chapters = [...new Set(chapterTargets({ includeExcluded: true }).map((t) => t.name.split('/')[0]))];
  const recipes = fs
    .readdirSync(path.join(runtime.tree, 'chapters'))
    .flatMap((chapter) =>
      fs
        .readdirSync(path.join(runtime.tree, 'chapters', chapter))
        .filter((name) => /^recipe/.test(name))
        .map((name) => `${chapter}/${name}`),
    )
    .filter((dir) => fs.existsSync(path.join(runtime.tree, 'chapters', dir, 'binding.gyp')));
  const folders = [...chapters, ...recipes].sort().map((dir) => `chapters/${dir}`);
  const startedAt = Date.now();
  await pool(folders, 2, async (folder) => {
    const result = await runOn(runtime, ['common/setup/build-addon.js', folder], { env: CROSS_ENV, timeoutMs: 600_000 });
    const warnings = (result.stdout + result.stderr).split('\n').filter((l) => /warning:/.test(l)).length;
    const error = result.code === 0 ? undefined : (result.stdout + result.stderr).split('\n').find((l) => /error:/.test(l))?.trim();
    results.builds.push({ runtime: runtime.id, chapter: folder, ok: result.code === 0, warnings, error });
    const tail = result.code === 0 ? '' : `: ${error ?? result.stderr.trim().split('\n').slice(-3).join(' / ')}`;
    progress('build', `${runtime.id} ${folder}: ${result.code === 0 ? 'ok' : 'FAILED'}${warnings ? `, ${warnings} warnings` : ''}${tail}`);
  });
  results.arm64[runtime.id].buildSeconds = Math.round((Date.now() - startedAt) / 1000);
  results.arm64[runtime.id].recipeFolders = recipes;
  results.arm64[runtime.id].instructions = await orderingInstructions(runtime);
}

// How many of the instructions that order memory, or hint the CPU, chapter 5's arm64 build
// holds (its fences, acquire loads and release stores, the spin's yield, the prefetch).
const ORDERING = ['dmb', 'ldar', 'ldarb', 'ldapr', 'stlr', 'stlrb', 'ldaxr', 'stlxr', 'yield', 'prfm'];
async function orderingInstructions(runtime) {
  const file = 'chapters/05-fast-path/build/Release/texample.node';
  if (!fs.existsSync(path.join(runtime.tree, file))) return null;
  const result = await run('aarch64-linux-gnu-objdump', ['-d', path.join(runtime.tree, file)]);
  const counts = Object.fromEntries(ORDERING.map((name) => [name, 0]));
  for (const line of result.stdout.split('\n')) {
    const mnemonic = line.split('\t')[2]?.trim();
    if (Object.hasOwn(counts, mnemonic)) counts[mnemonic]++;
  }
  return { file, counts };
}

// Tests that are not contract cases, under an arm64 Node: every recipe's test.js, and chapter 5's
// own tests. Counts from node:test's TAP summary; the failed tests' names.
async function ownTests(results, runtime, name, files) {
  progress('tests', `${runtime.id}: node --test ${files.join(' ')}`);
  const startedAt = Date.now();
  const result = await runOn(runtime, ['--test', '--test-reporter=tap', testTimeout(runtime), ...files], {
    timeoutMs: 900_000,
  });
  const count = (label) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(result.stdout)?.[1] ?? 0);
  const failures = result.stdout
    .split('\n')
    .map((line) => /^\s*not ok \d+ - (.*?)(?: # .*)?$/.exec(line)?.[1])
    .filter(Boolean);
  const entry = { passed: count('pass'), failed: count('fail') + count('cancelled'), failures, known: 0 };
  for (const [index, failure] of failures.entries()) {
    const known = knownFailure(runtime.id, name, failure);
    if (!known) continue;
    entry.known++;
    entry.failed--;
    failures[index] = `${failure} (known: ${known.why})`;
  }
  if (result.code !== 0 && entry.failed === 0 && entry.known === 0) {
    entry.failed = 1; // a crash or a time-out of the runner itself
    failures.push(`node --test ended with ${result.signal ?? `exit ${result.code}`}`);
  }
  entry.seconds = Math.round((Date.now() - startedAt) / 1000);
  results.arm64[runtime.id].tests[name] = entry;
  progress('tests', `${runtime.id} ${name}: ${entry.passed} passed, ${entry.failed} failed (${entry.seconds} s)`);
}

// The relaxed message-passing test (matrix/litmus/message-passing.c), built for aarch64 and run
// through qemu-user: how often the reader saw a flag newer than the data.
async function litmus(results) {
  const build = path.join(__dirname, 'build', 'litmus');
  fs.mkdirSync(build, { recursive: true });
  const binary = path.join(build, 'message-passing-aarch64');
  const source = path.join(__dirname, 'litmus', 'message-passing.c');
  const compiled = await run(CROSS_ENV.CC, ['-O2', '-Wall', '-Wextra', '-pthread', '-o', binary, source]);
  if (compiled.code !== 0) {
    results.litmus = { error: compiled.stderr.trim() };
  } else {
    const result = await run(binary, [], { timeoutMs: 600_000 });
    results.litmus = result.code === 0 ? JSON.parse(result.stdout) : { error: `exit ${result.code} ${result.stderr}` };
  }
  progress('litmus', JSON.stringify(results.litmus));
}

// The conformance suite under one Node: counts passed and failed tests per target from TAP.
async function suite(results, runtime, targets) {
  progress('suite', `${runtime.id}: node --test tests/conformance.test.js …`);
  const result = await runOn(
    runtime,
    ['--test', '--test-reporter=tap', testTimeout(runtime), 'tests/conformance.test.js'],
    { timeoutMs: 900_000 },
  );
  if (runtime.tree) fs.writeFileSync(path.join(runtime.tree, 'conformance.tap'), result.stdout);
  const names = targets.map((t) => t.name).sort((a, b) => b.length - a.length);
  for (const line of result.stdout.split('\n')) {
    const match = /^\s*(not )?ok \d+ - (.*?)(?: # .*)?$/.exec(line);
    const target = match && names.find((name) => match[2].startsWith(`${name}: `));
    if (!target) continue;
    const cell = (results.cells[`${target}|${runtime.id}`] ??= { passed: 0, failed: 0, failures: [] });
    if (!match[1]) {
      cell.passed++;
      continue;
    }
    const known = knownFailure(runtime.id, target, match[2].slice(target.length + 2));
    if (known) {
      cell.known = (cell.known ?? 0) + 1;
      cell.failures.push(`${match[2]} (known: ${known.why})`);
    } else {
      cell.failed++;
      cell.failures.push(match[2]);
    }
  }
  // A runner that fails with no failed test counted (a time-out of the whole file, a crash) is a
  // failure too: the tests it did not reach are missing from the cells.
  const counted = Object.entries(results.cells).some(([key, cell]) => key.endsWith(`|${runtime.id}`) && cell.failed);
  if (result.code !== 0 && !counted) {
    const error = /^\s*error: (.*)$/m.exec(result.stdout)?.[1] ?? result.signal ?? `exit ${result.code}`;
    results.suiteErrors.push({ runtime: runtime.id, detail: `node --test tests/conformance.test.js: ${error}` });
  }
  progress('suite', `${runtime.id}: exit ${result.code}`);
}

// node:test's time-out, which also bounds a whole test file: only there so that a hang fails.
// Through qemu-user everything takes longer.
const testTimeout = (runtime) => `--test-timeout=${300_000 * (runtime.arch ? QEMU_SLOWDOWN : 1)}`;

// The contract cases under Bun or Deno, one process per case.
async function cases(results, runtime, targets) {
  const all = JSON.parse((await runOn(runtime, ['matrix/case.js', '--list'])).stdout);
  const only = process.env.MATRIX_CASES?.split(',').filter(Boolean);
  const names = only ? all.filter((name) => only.includes(name)) : all;
  for (const target of targets) {
    const cell = (results.cells[`${target.name}|${runtime.id}`] = { passed: 0, failed: 0, failures: [] });
    const first = await caseOn(runtime, target, names[0]);
    if (first.outcome === 'refused') {
      Object.assign(cell, { refused: first.detail });
      progress('cases', `${runtime.id} ${target.name}: refused to load`);
      continue;
    }
    const outcomes = [first, ...(await pool(names.slice(1), 2, (name) => caseOn(runtime, target, name)))];
    for (const outcome of outcomes) {
      if (outcome.outcome === 'pass') {
        cell.passed++;
        continue;
      }
      const known = knownFailure(runtime.id, target.name, outcome.case);
      if (known) {
        cell.known = (cell.known ?? 0) + 1;
        cell.failures.push(`${outcome.case}: ${outcome.detail} (known: ${known.why})`);
        continue;
      }
      cell.failed++;
      cell.failures.push(`${outcome.case}: ${outcome.detail}`);
      if (outcome.crashed) cell.crashed = (cell.crashed ?? 0) + 1;
    }
    const known = cell.known ? `, ${cell.known} known` : '';
    progress('cases', `${runtime.id} ${target.name}: ${cell.passed} passed, ${cell.failed} failed${known}`);
  }
}

async function caseOn(runtime, target, name) {
  const result = await runOn(runtime, ['matrix/case.js', target.name, name], { timeoutMs: 90_000 });
  const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line && !crashed(result)) return JSON.parse(line.slice('RESULT '.length));
  const why = result.signal === 'SIGKILL' ? 'hung (killed after 90 s)' : (result.signal ?? `exit ${result.code}`);
  const last = result.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
  return { case: name, outcome: 'fail', crashed: crashed(result), detail: `${why} ${last}`.trim() };
}

// The harness's jobs: the JS-call floor, an unpaced stream, an idle paced stream with stamps.
async function bench(results, runtime, targets) {
  const job = async (spec) => {
    const result = await runOn(runtime, ['bench/run-one.js', JSON.stringify(spec)], { timeoutMs: 120_000 });
    try {
      return JSON.parse(result.stdout.trim().split('\n').at(-1));
    } catch {
      return { error: `${result.signal ?? `exit ${result.code}`} ${result.stderr.trim().split('\n').at(-1) ?? ''}` };
    }
  };
  const floors = {};
  for (const api of ['node-api', 'v8']) {
    if (runtime.kind !== 'node' && api === 'v8') continue;
    const floor = await job({ kind: 'js-call-floor', calls: 2_000_000, callsPerScope: 1, api });
    floors[api] = floor.callsPerSec ?? null;
  }
  results.floors[runtime.id] = floors;
  for (const target of targets) {
    const cell = results.cells[`${target.name}|${runtime.id}`];
    if (cell?.refused || target.bench === false) continue;
    const modulePath = target.bench.modulePath ?? target.modulePath;
    const benchTarget = { modulePath, semantics: target.semantics, startOptions: { ...target.startOptions, ...target.bench.startOptions }, callback: target.bench.callback };
    const unpaced = await job({ kind: 'stream', target: benchTarget, options: { count: 300_000, rate: 0, producers: 1 } });
    const idle = await job({ kind: 'stream', target: benchTarget, options: { count: 2000, rate: 1000, producers: 1 }, latency: true });
    const floor = floors[target.api];
    results.bench[`${target.name}|${runtime.id}`] = {
      itemsPerSec: unpaced.deliveredPerSec ?? null,
      floorRatio: unpaced.deliveredPerSec && floor ? unpaced.deliveredPerSec / floor : null,
      itemsPerWakeup: unpaced.stats?.wakeups ? unpaced.stats.delivered / unpaced.stats.wakeups : null,
      p50Ns: idle.latencyNs?.p50 ?? null,
      p99Ns: idle.latencyNs?.p99 ?? null,
      error: unpaced.error ?? idle.error ?? (unpaced.problems?.length ? unpaced.problems.join('; ') : undefined),
    };
    progress('bench', `${runtime.id} ${target.name}: ${Math.round(unpaced.deliveredPerSec ?? 0)} items/s`);
  }
}

// The results of an earlier run, with what this run's runtimes produced in place of theirs.
function update(before, now) {
  const ran = new Set(now.runs[0].runtimes);
  const ranHost = RUNTIMES.some((r) => r.kind === 'node' && !r.arch);
  // A run narrowed by CHAPTERS replaces only those chapters' cells of the runtimes it ran: a
  // "chapter|runtime" key of another chapter is kept from the run before.
  const chaptersNow = now.runs[0].chapters;
  const rerun = (key) => {
    const [name, runtime] = key.includes('|') ? key.split('|') : [null, key];
    return ran.has(runtime) && (!chaptersNow || name === null || chaptersNow.includes(name.split('/')[0]));
  };
  const keep = (object) => Object.fromEntries(Object.entries(object ?? {}).filter(([key]) => !rerun(key)));
  // An earlier run still names a runtime this run ran when some of its cells are kept.
  const stillFrom = (run) => (id) => !ran.has(id) || (chaptersNow && (!run.chapters || run.chapters.some((c) => !chaptersNow.includes(c))));
  const runs = (before.runs ?? [{ generated: before.generated, seconds: before.seconds, runtimes: Object.keys(before.runtimes) }])
    .map((run) => ({ ...run, runtimes: run.runtimes.filter(stillFrom(run)) }))
    .filter((run) => run.runtimes.length);
  const byFile = (list) => new Map(list.map((b) => [b.file, b]));
  return {
    ...now,
    runs: [...runs, ...now.runs],
    casesRun: before.casesRun === now.casesRun ? now.casesRun : `${before.casesRun} (earlier run), ${now.casesRun} (this run)`,
    runtimes: { ...before.runtimes, ...now.runtimes },
    builds: [...before.builds.filter((b) => !rerun(`${b.chapter.split('/')[1]}|${b.runtime}`) && !now.builds.some((n) => n.runtime === b.runtime && n.chapter === b.chapter)), ...now.builds],
    nodeApiBinaries: ranHost ? [...new Map([...byFile(before.nodeApiBinaries), ...byFile(now.nodeApiBinaries)]).values()] : before.nodeApiBinaries,
    cells: { ...keep(before.cells), ...now.cells },
    floors: { ...before.floors, ...now.floors },
    bench: { ...keep(before.bench), ...now.bench },
    suiteErrors: [...(before.suiteErrors ?? []).filter((e) => !ran.has(e.runtime)), ...now.suiteErrors],
    arm64: Object.fromEntries(
      Object.entries({ ...before.arm64, ...now.arm64 }).map(([id, arm]) => [
        id,
        chaptersNow && now.arm64[id] ? { ...before.arm64?.[id], ...arm, tests: { ...before.arm64?.[id]?.tests, ...arm.tests } } : arm,
      ]),
    ),
    litmus: now.litmus ?? before.litmus,
  };
}

async function main() {
  const targets = chapterTargets();
  const results = {
    generated: new Date().toISOString(),
    machine: `${require('node:os').cpus().length} cores`,
    casesRun: process.env.MATRIX_CASES ?? 'all',
    runtimes: {},
    builds: [],
    nodeApiBinaries: [],
    cells: {},
    floors: {},
    bench: {},
    suiteErrors: [], // a conformance run that failed without a failed test to show for it
    arm64: {}, // per arm64 runtime: build and suite times, the recipes' and chapter 5's tests
  };
  const arm = RUNTIMES.filter((r) => r.arch === 'arm64');
  if (arm.length) {
    requireArm64();
    for (const runtime of arm) {
      runtime.tree = stageTree(runtime.id);
      results.arm64[runtime.id] = { tests: {} };
    }
  }
  await versions(results);
  if (!SKIP.includes('builds')) await builds(results);
  for (const runtime of arm) await armBuilds(results, runtime);
  for (const runtime of RUNTIMES) {
    if (runtime.kind === 'node' && !SKIP.includes('suite')) {
      const startedAt = Date.now();
      await suite(results, runtime, targets);
      if (runtime.arch) results.arm64[runtime.id].suiteSeconds = Math.round((Date.now() - startedAt) / 1000);
    }
    if (runtime.kind !== 'node') await cases(results, runtime, targets);
    if (!runtime.arch) continue;
    const recipeTests = results.arm64[runtime.id].recipeFolders.map((dir) => `chapters/${dir}/test.js`);
    await ownTests(results, runtime, 'recipes', recipeTests);
    if (targets.some((t) => t.name.startsWith('05-fast-path'))) {
      await ownTests(results, runtime, 'fast-path', ['tests/fast-path.test.js']);
    }
  }
  if (arm.length) await litmus(results);
  // Throughput and latency through qemu-user measure the emulator: no harness jobs on arm64.
  if (!SKIP.includes('bench')) for (const runtime of RUNTIMES.filter((r) => !r.arch)) await bench(results, runtime, targets);
  results.seconds = Math.round((Date.now() - started) / 1000);
  const chapters = [...new Set(targets.map((t) => t.name.split('/')[0]))];
  const narrowed = process.env.CHAPTERS ? { chapters } : {};
  results.runs = [{ generated: results.generated, seconds: results.seconds, runtimes: RUNTIMES.map((r) => r.id), ...narrowed }];
  const written = process.env.MATRIX_UPDATE && fs.existsSync(RESULTS) ? update(JSON.parse(fs.readFileSync(RESULTS, 'utf8')), results) : results;
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(written, null, 2)}\n`);
  progress('done', `${path.relative(REPO, RESULTS)} written`);
  // A refusal to load is an answer, and so is a failure matrix/known-failures.js explains; any
  // other failed or crashed case, or a failed build, is not.
  const cells = [
    ...Object.values(results.cells),
    ...Object.values(results.arm64).flatMap((a) => Object.values(a.tests)),
  ];
  const failed = cells.reduce((sum, cell) => sum + cell.failed, 0);
  const passed = cells.reduce((sum, cell) => sum + cell.passed, 0);
  const known = cells.reduce((sum, cell) => sum + (cell.known ?? 0), 0);
  const failedBuilds =
    results.builds.filter((b) => !b.ok).length + (results.litmus?.error ? 1 : 0) + results.suiteErrors.length;
  process.stdout.write(`matrix: ${passed} passed, ${failed} failed, ${known} known failures\n`);
  if (failed > 0 || failedBuilds > 0) process.exitCode = 1;
}

main();
