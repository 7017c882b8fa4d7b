'use strict';
// `make test-asan`: every chapter the suite knows (common/chapters.js) built with sanitizers, and
// the conformance suite, then the teardown faults and the bad input (at a reduced size) run
// against those builds. Two passes:
//   asan   -fsanitize=address (LeakSanitizer included), Node started with libasan preloaded;
//   ubsan  -fsanitize=undefined,float-cast-overflow; libubsan is loaded with the addon.
// Two passes, not one build with both: with GCC 12, UBSan inside an ASan process ignores
// log_path and prints to stderr, where the suite's child processes swallow it; alone, it writes
// its log like ASan does. A pass fails on any ASan or UBSan report, and on any leak whose
// allocation stack is the addons' (lib/sanitizer-logs.js says how that is told).
//
// Where the builds go: a copy of the sources under tests/reliability/build/<pass>/tree (common/,
// the chapters without their build/, the suite and its fixtures, these scripts and the
// bench/environment.js and seeded-random.js they use), built there with
// the repo's own common/setup/build-addon.js (offline, --nodedir) and the sanitizer flags in
// CXXFLAGS/LDFLAGS, which node-gyp's Makefiles append. The chapters' own build/ folders, which
// `make test` uses, are never touched, so nothing needs rebuilding afterwards. Copies keep their
// timestamps, so a second run recompiles only what changed.
//
// Before the chapters, a deliberately faulty addon (asan-canary/) is built and run the same way:
// its leak and heap overflow (asan) and its undefined arithmetic (ubsan) must each be reported
// and attributed to it, or the pass fails: a clean result then means the pipeline sees faults.
//   node tests/reliability/asan.js [asan|ubsan]     (both when not told)
// Sizes: SANITIZER_TEARDOWN_SCALE (default 1) multiplies the reduced teardown rounds below.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { conformanceTargets } = require('../../common/chapters');
const support = require('./lib/support');
const { scanLogs } = require('./lib/sanitizer-logs');

const ROOT = support.ROOT;
const SCALE = support.positiveIntegerFromEnv('SANITIZER_TEARDOWN_SCALE', 1);
const BUILD_ADDON = path.join(ROOT, 'common', 'setup', 'build-addon.js');
const MINUTE = 60_000;
// Frames as `#N PC in FUNCTION SOURCE <MODULE+OFFSET>`: the module tells an addon's frame apart
// (its source paths are relative: node-gyp compiles ../texample.cc).
const STACK_FORMAT = "stack_trace_format='    #%n %p in %f %S <%m+%o>'";

function runtimeLibrary(name) {
  return execFileSync(process.env.CXX ?? 'g++', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
}

const PASSES = {
  asan: {
    compile: '-fsanitize=address -fno-omit-frame-pointer -g -O1',
    link: '-fsanitize=address',
    // Node is not instrumented: it only needs the runtime loaded first. alloc_dealloc_mismatch and
    // ODR checks misfire across the instrumented / uninstrumented boundary. exitcode=0: Node's own
    // leaks at exit must not change the exit codes the suite checks; abort_on_error=1: an ASan
    // error still ends its process, with SIGABRT, visibly.
    env: (logDir) => ({
      LD_PRELOAD: runtimeLibrary('libasan.so'),
      ASAN_OPTIONS: [
        'detect_leaks=1',
        'alloc_dealloc_mismatch=0',
        'detect_odr_violation=0',
        'abort_on_error=1',
        'exitcode=0',
        STACK_FORMAT,
        `log_path=${path.join(logDir, 'asan')}`,
      ].join(':'),
    }),
    canary: {
      leak: (r) => r.addonLeaks.length === 1 && r.asanErrors.length === 0,
      overflow: (r) => r.asanErrors.length === 1 && /heap-buffer-overflow/.test(r.asanErrors[0]),
    },
  },
  ubsan: {
    // vptr checks need RTTI, which node-gyp's common.gypi turns off (-fno-rtti).
    compile: '-fsanitize=undefined,float-cast-overflow -fno-sanitize=vptr -fno-omit-frame-pointer -g -O1',
    link: '-fsanitize=undefined',
    env: (logDir) => ({
      UBSAN_OPTIONS: ['print_stacktrace=1', 'halt_on_error=0', `log_path=${path.join(logDir, 'ubsan')}`].join(':'),
    }),
    canary: {
      undefinedBehavior: (r) => r.ubsanErrors.length === 2,
    },
  },
};

// Replaces everything in `to` but its build/ with a fresh copy of `from` (timestamps kept), leaving
// out every build/ folder inside `from` (tests/reliability/build holds the trees themselves).
function refresh(from, to) {
  const withoutBuilds = (source) => !path.relative(from, source).split(path.sep).includes('build');
  if (!fs.statSync(from).isDirectory()) {
    fs.cpSync(from, to, { preserveTimestamps: true });
    return;
  }
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(to)) {
    if (entry !== 'build') fs.rmSync(path.join(to, entry), { recursive: true, force: true });
  }
  for (const entry of fs.readdirSync(from)) {
    if (entry === 'build') continue;
    const options = { recursive: true, preserveTimestamps: true, filter: withoutBuilds };
    fs.cpSync(path.join(from, entry), path.join(to, entry), options);
  }
}

function prepareTree(tree, folders) {
  fs.mkdirSync(path.join(tree, 'chapters'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'tests'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'bench'), { recursive: true });
  refresh(path.join(ROOT, 'common'), path.join(tree, 'common'));
  for (const file of ['environment.js', 'seeded-random.js']) {
    refresh(path.join(ROOT, 'bench', file), path.join(tree, 'bench', file));
  }
  for (const file of ['conformance.test.js', 'contract-checks.js']) {
    refresh(path.join(ROOT, 'tests', file), path.join(tree, 'tests', file));
  }
  refresh(path.join(ROOT, 'tests', 'fixtures'), path.join(tree, 'tests', 'fixtures'));
  refresh(__dirname, path.join(tree, 'tests', 'reliability'));
  const wanted = new Set(folders);
  for (const folder of fs.readdirSync(path.join(tree, 'chapters'))) {
    if (!wanted.has(folder)) fs.rmSync(path.join(tree, 'chapters', folder), { recursive: true, force: true });
  }
  for (const folder of folders) refresh(path.join(ROOT, 'chapters', folder), path.join(tree, 'chapters', folder));
}

function build(pass, directory) {
  console.log(`== ${pass.name}: building ${path.relative(ROOT, directory)}`);
  execFileSync(process.execPath, [BUILD_ADDON, directory], {
    stdio: 'inherit',
    env: { ...process.env, CFLAGS: pass.compile, CXXFLAGS: pass.compile, LDFLAGS: pass.link },
  });
}

function passEnv(pass, logDir) {
  fs.mkdirSync(logDir, { recursive: true });
  return { ...process.env, ...pass.env(logDir), RELIABILITY_RESULTS: path.join(pass.work, 'results') };
}

function scan(pass, logDir) {
  return scanLogs(logDir, { ownModules: [`${pass.tree}${path.sep}`] });
}

// The canary's faults, each in a process of its own: each must be seen, and attributed.
async function checkCanary(pass) {
  const canary = path.join(pass.tree, 'tests', 'reliability', 'asan-canary', 'build', 'Release', 'canary.node');
  const checks = [];
  for (const [fault, ok] of Object.entries(pass.canary)) {
    const logDir = path.join(pass.logs, `canary-${fault}`);
    await support.runNode(['-e', `require(${JSON.stringify(canary)}).${fault}()`], {
      timeoutMs: 5 * MINUTE,
      env: passEnv(pass, logDir),
    });
    const found = scan(pass, logDir);
    const detected = ok(found);
    checks.push({ fault, detected });
    console.log(`${pass.name} canary ${fault}: ${detected ? 'detected and attributed' : `NOT DETECTED ${JSON.stringify(found)}`}`);
  }
  return checks;
}

// Runs one step under the pass's sanitizer; resolves { exit, ok, output }.
async function sanitized(pass, label, args, { timeoutMs, env = {}, show = () => true }) {
  console.log(`== ${pass.name}: ${label}`);
  const result = await support.runNode(args, {
    timeoutMs,
    env: { ...passEnv(pass, path.join(pass.logs, label)), ...env },
    onLine: (text) => show(text) && console.log(`   ${text}`),
  });
  if (result.code !== 0 && result.stderr.trim()) console.log(result.stderr.trim().split('\n').slice(-20).join('\n'));
  return {
    exit: support.describeExit(result),
    ok: !result.timedOut && !result.signal && result.code === 0,
    output: result.stdout,
  };
}

function tapCount(output, name) {
  const match = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output);
  return match ? Number(match[1]) : null;
}

const TEARDOWN_ROUNDS = {
  TEARDOWN_STOP_ROUNDS: 20,
  TEARDOWN_LOOP_ROUNDS: 100,
  TEARDOWN_WORKER_ROUNDS: 20,
  TEARDOWN_WORKER_EXITS: 4,
  TEARDOWN_SWAPS: 12,
  TEARDOWN_GC_STREAMS: 2,
  TEARDOWN_EXITS: 2,
};

// The figures of the nested runs' results (written inside the pass's work folder) that the
// report shows; 0 where a run wrote none.
const TEARDOWN_FIGURES = ['faultsInjected', 'processes', 'crashes', 'hangs', 'leakedResources', 'leakedThreads', 'violations', 'failed'];
const BAD_INPUT_FIGURES = ['inputsTried', 'handledWrongly', 'crashes', 'hangs', 'failed'];

function pick(result, names) {
  return Object.fromEntries(names.map((name) => [name, result?.[name] ?? 0]));
}

async function runPass(pass, targets) {
  const started = Date.now();
  const folders = [...new Set(targets.map((t) => t.name.split('/')[0]))];
  fs.rmSync(pass.logs, { recursive: true, force: true });
  fs.rmSync(path.join(pass.work, 'results'), { recursive: true, force: true });
  prepareTree(pass.tree, folders);
  build(pass, path.join(pass.tree, 'tests', 'reliability', 'asan-canary'));
  for (const folder of folders) build(pass, path.join(pass.tree, 'chapters', folder));
  const canary = await checkCanary(pass);

  const inTree = (...parts) => path.join(pass.tree, ...parts);
  const conformance = await sanitized(pass, 'conformance', ['--test', '--test-reporter=tap', inTree('tests', 'conformance.test.js')], {
    timeoutMs: 45 * MINUTE,
    show: (text) => /^(not ok|# (tests|pass|fail) )/.test(text.trim()),
  });
  const rounds = Object.fromEntries(Object.entries(TEARDOWN_ROUNDS).map(([k, v]) => [k, v * SCALE]));
  const teardown = await sanitized(pass, 'teardown', [inTree('tests', 'reliability', 'teardown.js')], {
    timeoutMs: 60 * MINUTE,
    env: Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, String(v)])),
    show: (text) => !/^teardown .*: ok/.test(text),
  });
  const badInput = await sanitized(pass, 'bad-input', [inTree('tests', 'reliability', 'bad-input.js')], {
    timeoutMs: 30 * MINUTE,
    show: (text) => !/^bad input .*: ok/.test(text),
  });

  // The canary's own reports are expected: count the chapters' only.
  const chapterLogs = { files: 0, asanErrors: [], ubsanErrors: [], addonLeaks: [], otherLeaks: 0, leaksByStep: {} };
  for (const step of ['conformance', 'teardown', 'bad-input']) {
    const found = scan(pass, path.join(pass.logs, step));
    chapterLogs.files += found.files;
    chapterLogs.otherLeaks += found.otherLeaks;
    for (const key of ['asanErrors', 'ubsanErrors', 'addonLeaks']) chapterLogs[key].push(...found[key]);
    for (const [addon, sum] of Object.entries(found.leaksByAddon)) {
      chapterLogs.leaksByStep[`${step}: ${addon}`] = sum;
    }
  }
  const readTreeResult = (name) => {
    const file = path.join(pass.work, 'results', `${name}.json`);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
  };
  const result = {
    pass: pass.name,
    flags: { compile: pass.compile, link: pass.link },
    canary,
    conformance: {
      exit: conformance.exit,
      tests: tapCount(conformance.output, 'tests'),
      pass: tapCount(conformance.output, 'pass'),
      fail: tapCount(conformance.output, 'fail'),
    },
    teardown: { exit: teardown.exit, rounds, ...pick(readTreeResult('teardown'), TEARDOWN_FIGURES) },
    badInput: { exit: badInput.exit, ...pick(readTreeResult('bad-input'), BAD_INPUT_FIGURES) },
    logs: {
      files: chapterLogs.files,
      asanErrors: chapterLogs.asanErrors,
      ubsanErrors: chapterLogs.ubsanErrors,
      addonLeaks: chapterLogs.addonLeaks,
      leaksByStepAndAddon: chapterLogs.leaksByStep,
      nodeLeakReportsIgnored: chapterLogs.otherLeaks,
    },
    minutes: +((Date.now() - started) / MINUTE).toFixed(1),
  };
  result.failures = [
    ...canary.filter((c) => !c.detected).map((c) => `the canary's ${c.fault} went unseen`),
    ...(conformance.ok && result.conformance.fail === 0 ? [] : [`conformance suite: ${conformance.exit}`]),
    ...(teardown.ok ? [] : [`teardown faults: ${teardown.exit}`]),
    ...(badInput.ok ? [] : [`bad input: ${badInput.exit}`]),
    ...chapterLogs.asanErrors.map((e) => `ASan: ${e}`),
    ...chapterLogs.ubsanErrors.map((e) => `UBSan: ${e}`),
    ...Object.entries(chapterLogs.leaksByStep).map(
      ([where, sum]) => `leaks in ${where}: ${sum.objects} objects, ${sum.bytes} bytes (${sum.reports} reports)`,
    ),
  ];
  console.log(
    `\n${pass.name}, ${result.minutes} min: canary ${canary.filter((c) => c.detected).length}/${canary.length} detected; ` +
      `conformance ${result.conformance.pass}/${result.conformance.tests} passed; ` +
      `${result.teardown.faultsInjected} teardown faults; ${result.badInput.inputsTried} bad inputs; ` +
      `${chapterLogs.files} logs: ${chapterLogs.asanErrors.length} ASan errors, ${chapterLogs.ubsanErrors.length} UBSan errors, ` +
      `${chapterLogs.addonLeaks.length} addon leaks (${chapterLogs.otherLeaks} leak reports of Node's own set aside)`,
  );
  for (const failure of result.failures) console.log(`FAILED: ${failure}`);
  // One allocation stack per leaking addon, to start from (all of them are in the result file).
  const shown = new Set();
  for (const leak of chapterLogs.addonLeaks) {
    const addon = Object.keys(chapterLogs.leaksByStep).map((k) => k.split(': ')[1]).find((a) => leak.includes(a));
    if (shown.has(addon)) continue;
    shown.add(addon);
    console.log(`\nfirst leak report of ${addon}:\n${leak}`);
  }
  return result;
}

async function main() {
  const wanted = process.argv[2] ? [process.argv[2]] : Object.keys(PASSES);
  for (const name of wanted) if (!PASSES[name]) throw new Error(`unknown pass ${name}: asan or ubsan`);
  const targets = conformanceTargets();
  const passes = [];
  for (const name of wanted) {
    const work = path.join(__dirname, 'build', name);
    const pass = { name, work, tree: path.join(work, 'tree'), logs: path.join(work, 'logs'), ...PASSES[name] };
    const result = await runPass(pass, targets);
    support.writeResult(`sanitizer-${name}`, { targets: targets.map((t) => t.name), ...result }, { sizePrefixes: ['SANITIZER_'] });
    passes.push(result);
  }
  process.exitCode = passes.every((p) => p.failures.length === 0) ? 0 : 1;
}

main();
