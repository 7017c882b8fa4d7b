'use strict';
// Writes docs/reliability.md and docs/reliability/results.json from the result files the
// reliability commands left in tests/reliability/build/results/ (or RELIABILITY_RESULTS). Every
// figure on the page is read from those files: nothing is typed. A command that has not run yet
// gets a line saying so; one that failed is shown as failed, with its failures.
//   node tests/reliability/report.js          (the last step of `make reliability`)
const fs = require('node:fs');
const path = require('node:path');
const support = require('./lib/support');

const PAGE = path.join(support.ROOT, 'docs', 'reliability.md');
const RAW = path.join(support.ROOT, 'docs', 'reliability', 'results.json');
const RAW_LINK = 'reliability/results.json';

// Result file → the make target that writes it.
const COMMANDS = {
  'sanitizer-asan': 'make test-asan',
  'sanitizer-ubsan': 'make test-asan',
  'sanitizer-tsan': 'make test-tsan',
  soak: 'make soak',
  overload: 'make overload',
  teardown: 'make teardown',
  'bad-input': 'make bad-input',
};

// --- formatting -------------------------------------------------------------------------------

// 10000000 → "10 000 000", as the rest of the docs write numbers.
function count(value) {
  if (value === null || value === undefined) return '—';
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const mib = (value) => (Number.isFinite(value) ? value.toFixed(1) : '—');
const status = (result) => (result.failures.length === 0 ? 'ok' : 'FAILED');
const day = (iso) => iso.slice(0, 10);

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

// "Run 2026-11-24 16:52 UTC, 312 s: `SOAK_ITEMS=1000 node tests/reliability/soak.js`."
// `seconds`: how long this result took, when its command wrote more than one (the ASan and
// UBSan passes of asan.js).
function provenance(result, seconds = result.wallSeconds) {
  const sizes = Object.entries(result.sizeEnv ?? {}).map(([name, value]) => `${name}=${value}`);
  const command = [...sizes, result.command].join(' ');
  return `Run ${result.finishedAt.replace('T', ' ').slice(0, 16)} UTC, ${seconds} s: \`${command}\`.`;
}

const plural = (n, word) => `${count(n)} ${n === 1 ? word : word.endsWith('s') ? `${word}es` : `${word}s`}`;

function failureList(failures) {
  if (failures.length === 0) return '';
  const shown = failures.slice(0, 20).map((text) => `- ${text.split('\n')[0]}`);
  if (failures.length > 20) shown.push(`- … ${failures.length - 20} more in the raw data`);
  return `\nFailures:\n\n${shown.join('\n')}\n`;
}

// The end of a command's section: where its result came from, and what failed in it.
function sectionEnd(name, result) {
  return [provenance(result), failureList(failuresOf(name, result))];
}

// --- reading ----------------------------------------------------------------------------------

// A result without the header writeResult() adds (an older script's) counts as not run.
function readAll() {
  const results = {};
  for (const name of Object.keys(COMMANDS)) {
    const result = support.readResult(name);
    if (result && !result.machine) console.log(`${name}: written by an older script, left out; run \`${COMMANDS[name]}\` again`);
    results[name] = result?.machine ? result : null;
  }
  return results;
}

// Each result's own failure list, one place: a run failed if any entry of its runs failed.
function failuresOf(name, result) {
  if (!result) return [];
  if (Array.isArray(result.runs)) {
    return result.runs.flatMap((run) =>
      run.failures.map((text) => `${run.target}${run.scenario ? ` ${run.scenario}` : ''}${run.producers ? ` producers=${run.producers}` : ''}: ${text}`),
    );
  }
  return result.failures ?? [];
}

// --- sections ---------------------------------------------------------------------------------

function header(results) {
  const dates = Object.values(results).filter(Boolean).map((r) => r.finishedAt).sort();
  const failed = Object.entries(results).filter(([name, r]) => r && failuresOf(name, r).length > 0);
  const missing = Object.keys(results).filter((name) => !results[name]);
  const verdict = [];
  if (failed.length === 0 && missing.length === 0) verdict.push('Every command passed.');
  if (failed.length > 0) {
    verdict.push(`Failed: ${failed.map(([name]) => `\`${COMMANDS[name]}\` (${name})`).join(', ')}; the sections below say what failed.`);
  }
  if (missing.length > 0) verdict.push(`Not run yet: ${missing.map((name) => `\`${COMMANDS[name]}\` (${name})`).join(', ')}.`);
  return [
    '# Reliability: sanitizers, soak, overload, teardown faults, bad input',
    '',
    'Written by `node tests/reliability/report.js` (the last step of `make reliability`) from the result files of the',
    `commands below, run between ${dates[0]?.slice(0, 16).replace('T', ' ') ?? '—'} and ${dates.at(-1)?.slice(0, 16).replace('T', ' ') ?? '—'} UTC.`,
    'Every figure is read from those files; none is typed. Each command checks every chapter and variant that',
    '`common/chapters.js` lists for the conformance suite (chapter 0, buggy on purpose, is not one of them), and',
    'asserts counts, never times. Raw data: [reliability/results.json](' + RAW_LINK + ').',
    '',
    verdict.join(' '),
  ].join('\n');
}

function totals(results) {
  const { soak, overload, teardown } = results;
  const badInput = results['bad-input'];
  const sanitizers = ['sanitizer-asan', 'sanitizer-ubsan'].map((name) => results[name]).filter(Boolean);
  const tsan = results['sanitizer-tsan'];
  const sum = (values) => values.reduce((total, v) => total + (Number.isFinite(v) ? v : 0), 0);
  const underSanitizers = (pick) => sum(sanitizers.map(pick));
  const rows = [
    ['items pushed through the chapters (soak, overload)', count(sum([soak?.itemsPushed, overload?.itemsPushed]))],
    ['teardown faults injected (teardown; under ASan and UBSan)', `${count(teardown?.faultsInjected)}; ${count(underSanitizers((r) => r.teardown.faultsInjected))}`],
    ['bad inputs tried (bad input; under ASan and UBSan)', `${count(badInput?.inputsTried)}; ${count(underSanitizers((r) => r.badInput.inputsTried))}`],
    ['bad inputs handled wrongly', count(sum([badInput?.handledWrongly, underSanitizers((r) => r.badInput.handledWrongly)]))],
    ['crashes (processes killed by a signal or ending with an unexpected code)', count(sum([soak?.crashes, overload?.crashes, teardown?.crashes, badInput?.crashes, underSanitizers((r) => r.teardown.crashes + r.badInput.crashes)]))],
    ['hangs (processes killed after their time-out)', count(sum([soak?.hangs, overload?.hangs, teardown?.hangs, badInput?.hangs, underSanitizers((r) => r.teardown.hangs + r.badInput.hangs)]))],
    ['handles left active after stop (teardown, all runs)', count(sum([teardown?.leakedResources, underSanitizers((r) => r.teardown.leakedResources)]))],
    ['threads left running after stop (teardown, all runs)', count(sum([teardown?.leakedThreads, underSanitizers((r) => r.teardown.leakedThreads)]))],
    ['items lost, duplicated or out of order (soak, teardown, all runs)', count(sum([soak?.violations, teardown?.violations, underSanitizers((r) => r.teardown.violations)]))],
    ['conformance tests run under ASan and UBSan, failed', `${count(underSanitizers((r) => r.conformance.tests))}, ${count(underSanitizers((r) => r.conformance.fail))}`],
    ['ASan and UBSan error reports in the chapters', count(underSanitizers((r) => r.logs.asanErrors.length + r.logs.ubsanErrors.length))],
    ['LeakSanitizer reports of memory the addons allocated', count(underSanitizers((r) => r.logs.addonLeaks.length))],
    ['ThreadSanitizer: native tests failed (of tests × repeats)', tsan ? `${count(tsan.failed)} (of ${count(tsan.tests)} × ${tsan.repeat})` : '—'],
  ];
  return `## Totals\n\n${table(['', 'count'], rows)}`;
}

function machineSection(results) {
  const seen = new Map();
  for (const [name, result] of Object.entries(results)) {
    if (!result) continue;
    const key = JSON.stringify(result.machine);
    if (!seen.has(key)) seen.set(key, { machine: result.machine, names: [] });
    seen.get(key).names.push(name);
  }
  const parts = [...seen.values()].map(({ machine: m, names }) => {
    const rows = [
      ['CPU', `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB`],
      ['OS, kernel', `${m.os ?? '—'}, ${m.kernel}`],
      ['Node', m.node],
      ['compiler', m.compiler ?? '—'],
      ['npm packages', Object.entries(m.packages ?? {}).map(([n, v]) => `${n} ${v}`).join(', ')],
    ];
    const which = seen.size > 1 ? `\n\nFor: ${names.join(', ')}.` : '';
    return `${table(['', ''], rows)}${which}`;
  });
  return `## Machine\n\nThe figures below are this machine's; sizes and times are from these runs only.\n\n${parts.join('\n\n')}`;
}

function commandsSection(results) {
  const rows = [
    ['`make test-asan`', 'Every chapter built twice more, with `-fsanitize=address` and with `-fsanitize=undefined,float-cast-overflow`, in a copy of the tree; the conformance suite, then teardown faults and bad input at a reduced size, with Node started with libasan preloaded. A deliberately faulty addon (a leak, a heap overflow, undefined arithmetic) runs first and must be caught. Leaks count only when an addon allocated the memory (`lib/sanitizer-logs.js` says how that is told); Node\'s own at-exit leaks are counted and set aside.', ['sanitizer-asan', 'sanitizer-ubsan']],
    ['`make test-tsan`', 'The GoogleTest tests of `common/` (queues, libev shim, producers, stats) built with `-fsanitize=thread` and run repeatedly, with a canary data race that must be reported.', ['sanitizer-tsan']],
    ['`make soak`', 'Items through every chapter and variant with 1 and with 2 unpaced producers, each run in a process of its own; every item checked as it arrives: no loss, no duplicate, no reordering per producer, except the drops a variant documents (then `sent = delivered + dropped` and order still hold).', ['soak']],
    ['`make overload`', 'One producer offering far more than a slow callback can take, for a fixed time; RSS sampled from outside every 100 ms; then the callback turns fast and the stream is stopped. Where a chapter bounds its queue, the items between sent and handled must stay within the bound.', ['overload']],
    ['`make teardown`', 'Faults at teardown, each scenario in a process of its own (below); after each, the process must hold the same active handles (`process.getActiveResourcesInfo()`) and threads (`/proc/self/task`) as after a first stream, and a last stream must deliver every item.', ['teardown']],
    ['`make bad-input`', 'Generated wrong types and out-of-range values for every option of `start()`, getters that throw, options objects that misbehave: each must throw a TypeError or RangeError naming the option with nothing started, or (a valid value) start a stream that stops cleanly; the module must work after.', ['bad-input']],
  ];
  return `## The commands\n\n${table(
    ['command', 'what it does', 'last run', 'result'],
    rows.map(([command, what, names]) => {
      const ran = names.map((n) => results[n]).filter(Boolean);
      // Results one command wrote (ASan and UBSan) share its process: its time is the longest.
      const when = ran.length ? `${day(ran[0].finishedAt)}, ${Math.max(...ran.map((r) => r.wallSeconds))} s` : 'not run';
      const failed = names.some((n) => failuresOf(n, results[n]).length > 0);
      return [command, what, when, ran.length === 0 ? '—' : failed ? 'FAILED' : 'ok'];
    }),
  )}\n\n\`make reliability\` runs them one after the other and then writes this page.`;
}

function soakSection(soak) {
  if (!soak) return '## Soak\n\nNot run yet: `make soak`.';
  const rows = soak.runs.map((r) => [
    r.target,
    r.semantics,
    r.producers,
    count(r.items),
    count(r.stats?.delivered),
    count(r.stats?.dropped),
    fixed(r.ms / 1000, 2),
    fixed(r.itemsPerSecond / 1e6, 2),
    mib(r.maxRssMiB),
    status(r),
  ]);
  return [
    '## Soak',
    '',
    `${count(soak.items)} items per run, ${soak.runs.length} runs, ${count(soak.itemsPushed)} items pushed in all; ` +
      `${count(soak.violations)} items lost, duplicated or out of order; ${soak.crashes} crashes, ${soak.hangs} hangs. ` +
      'Time is from `start()` to its settled promise; peak RSS is the process\'s maximum resident set (`process.resourceUsage().maxRSS`). ' +
      'A `latest-only` or `drops-when-full` variant drops by design: what it delivers is checked for order and uniqueness.',
    '',
    table(['target', 'semantics', 'producers', 'items', 'delivered', 'dropped', 'time s', 'M items/s', 'peak RSS MiB', 'result'], rows),
    '',
    ...sectionEnd('soak', soak),
  ].join('\n');
}

function overloadSection(overload) {
  if (!overload) return '## Overload\n\nNot run yet: `make overload`.';
  const seconds = Array.from({ length: overload.seconds }, (_, s) => `${s + 1} s`);
  const rows = overload.runs.map((r) =>
    r.rssPerSecondMiB
      ? [
          r.target,
          r.backpressure,
          mib(r.rssBeforeMiB),
          ...r.rssPerSecondMiB.map(mib),
          fixed(r.growthMiBPerSecond),
          mib(r.peakRssMiB),
          count(r.atOverloadEnd.sent),
          count(r.atOverloadEnd.backlog),
          count(r.backlogBound),
          status(r),
        ]
      : [r.target, '—', '—', ...seconds.map(() => '—'), '—', '—', '—', '—', '—', 'FAILED'],
  );
  return [
    '## Overload',
    '',
    `${overload.producers} producer offering ${count(overload.rate)} items/s for ${overload.seconds} s to a callback that spins ` +
      `${overload.callbackUs} µs per item (it can take at most ${count(Math.floor(1e6 / overload.callbackUs))} a second). ` +
      'RSS in MiB: before `start()`, then the highest sample in each second of the overload; growth is (last second − first second) / ' +
      `(${overload.seconds} − 1) s. Backlog is sent − delivered − dropped when the overload ends; bound is the most the chapter's ` +
      'documented backpressure allows (queue or rings, plus one item per producer waiting for room, plus what the wake-up in progress took), ' +
      'asserted where there is one; peak RSS includes the drain after `stop()`.',
    '',
    table(['target', 'backpressure', 'before', ...seconds, 'MiB/s', 'peak', 'sent', 'backlog', 'bound', 'result'], rows),
    '',
    'Where a queue is unbounded, every item the callback cannot take stays queued, and RSS grows with the backlog for as long as the overload lasts. ' +
      'Where the queue or ring is bounded, the producer waits (or, with `blocking: false`, its items are refused and counted as dropped), ' +
      'and RSS stays flat. A coalescing variant keeps only the latest item.',
    '',
    ...sectionEnd('overload', overload),
  ].join('\n');
}

const SCENARIOS = {
  'stop-in-callback': 'stop() from inside the callback, at item 1, 2, 3, 10, 100, 1 000 or 10 000, 1 or 2 producers, sometimes twice (one fault per round)',
  'start-stop-loop': 'start() then stop(): synchronously, after a turn of the loop, after a microtask, racing a short stream\'s end, with producers asleep (one fault per round)',
  'worker-terminate': 'a worker_thread streaming (flat out, sleeping, starting and stopping, stopping from its callback) terminated at a seeded random moment, while the main thread streams (one fault per worker)',
  'worker-exit-in-callback': 'process.exit(7) from a worker\'s callback while the main thread streams; the worker must end with code 7 (one fault per worker)',
  'callback-swap': 'the callback replaced, deleted, made a number, a getter, a getter that throws, every 500 calls while items flow (one fault per change)',
  'gc-pressure': 'run with --expose-gc: gc() every 100 calls and every millisecond, garbage at every call, the callback replaced every 1 000 calls, 20 000-item streams (one fault per gc())',
  'exit-in-callback': 'process.exit(3) from the callback at item 1, 1 000 or 50 000 while 2 producers run flat out; the process must end with code 3 (one fault per process)',
  'exit-in-timer': 'process.exit(0) from a timer while 2 producers run flat out (one fault per process)',
};

function teardownSection(teardown) {
  if (!teardown) return '## Teardown faults\n\nNot run yet: `make teardown`.';
  const scenarios = Object.keys(teardown.rounds);
  const targets = [...new Set(teardown.runs.map((r) => r.target))];
  const rows = targets.map((target) => {
    const runs = teardown.runs.filter((r) => r.target === target);
    const cell = (scenario) => {
      const run = runs.find((r) => r.scenario === scenario);
      if (!run) return '—';
      return run.failures.length === 0 ? count(run.faults) : `FAILED (${count(run.faults)})`;
    };
    const crashes = runs.reduce((n, r) => n + r.exitKinds.filter((k) => k === 'crash').length, 0);
    const hangs = runs.reduce((n, r) => n + r.exitKinds.filter((k) => k === 'hang').length, 0);
    const handles = runs.reduce((n, r) => n + r.leaked.resources, 0);
    const threads = runs.reduce((n, r) => n + r.leaked.threads, 0);
    const violations = runs.reduce((n, r) => n + r.violations, 0);
    return [target, ...scenarios.map(cell), crashes, hangs, handles, threads, violations];
  });
  const unit = (s) => (s.startsWith('exit-') ? 'process' : s === 'gc-pressure' ? 'stream' : 'round');
  const list = scenarios.map((s) => `- \`${s}\` (${plural(teardown.rounds[s], unit(s))} per target): ${SCENARIOS[s] ?? ''}`);
  return [
    '## Teardown faults',
    '',
    `${count(teardown.faultsInjected)} faults injected in ${count(teardown.processes)} processes, ${count(teardown.streams)} streams checked; ` +
      `${teardown.crashes} crashes, ${teardown.hangs} hangs, ${teardown.leakedResources} handles and ${teardown.leakedThreads} threads left behind, ` +
      `${teardown.violations} items lost, duplicated or out of order. Seed ${teardown.seed}.`,
    '',
    ...list,
    '',
    'Faults injected per scenario and target; then, per target, the processes that crashed or hung, the handles and threads found beyond the baseline, and the delivery violations:',
    '',
    table(['target', ...scenarios, 'crashes', 'hangs', 'handles left', 'threads left', 'violations'], rows),
    '',
    ...sectionEnd('teardown', teardown),
  ].join('\n');
}

function badInputSection(badInput) {
  if (!badInput) return '## Bad input\n\nNot run yet: `make bad-input`.';
  const rows = badInput.runs.map((r) => [
    r.target,
    (r.options ?? []).join(', '),
    count(r.tried),
    count(r.rejected),
    count(r.accepted),
    count(r.handledWrongly),
    r.stillWorks === undefined ? '—' : r.stillWorks ? 'yes' : 'NO',
    status(r),
  ]);
  return [
    '## Bad input',
    '',
    `${count(badInput.inputsTried)} inputs tried: ${count(badInput.rejected)} rejected with the right error (a TypeError for a wrong type, ` +
      'an unknown option, both pacing options or a getter that throws; a RangeError for a value out of range; the message naming the option; ' +
      `nothing started), ${count(badInput.accepted)} valid values accepted (the stream started and stopped cleanly; a pace of an hour or slower sent nothing), ` +
      `${count(badInput.handledWrongly)} handled wrongly; ${badInput.crashes} crashes, ${badInput.hangs} hangs. ` +
      'The values: null, strings, booleans, BigInts, Symbols, objects, arrays, functions, boxed primitives, objects with valueOf or toPrimitive, Proxies (one whose every trap throws, revoked ones), ' +
      'and numbers around every bound (−0, ±Number.MIN_VALUE, 0.5, 64 and 65 producers, 2^31, 2^53, 2^53 + 2, 2^64, 1e300, ±Infinity, NaN); getters that throw an Error, a Symbol, null, a revoked Proxy; ' +
      'unknown names (including `constructor`, `__proto__`, the empty string); options that are not an object.',
    '',
    table(['target', 'options', 'inputs', 'rejected rightly', 'accepted rightly', 'handled wrongly', 'works after', 'result'], rows),
    '',
    ...sectionEnd('bad-input', badInput),
  ].join('\n');
}

function sanitizerRow(result) {
  const canary = result.canary.map((c) => `${c.fault} ${c.detected ? 'caught' : 'MISSED'}`).join(', ');
  return [
    result.pass,
    `\`${result.flags.compile}\``,
    `${result.conformance.pass ?? '—'} of ${result.conformance.tests ?? '—'} conformance tests; ${count(result.teardown.faultsInjected)} teardown faults; ${count(result.badInput.inputsTried)} bad inputs`,
    canary,
    result.logs.asanErrors.length,
    result.logs.ubsanErrors.length,
    result.logs.addonLeaks.length,
    count(result.logs.nodeLeakReportsIgnored),
    status(result),
  ];
}

function sanitizersSection(results) {
  const passes = ['sanitizer-asan', 'sanitizer-ubsan'].map((name) => results[name]).filter(Boolean);
  const tsan = results['sanitizer-tsan'];
  const parts = ['## Sanitizers', ''];
  if (passes.length === 0) parts.push('ASan and UBSan: not run yet (`make test-asan`).');
  else {
    parts.push(
      table(
        ['pass', 'compiled with', 'ran', 'canary', 'ASan errors', 'UBSan errors', 'addon leak reports', "Node's own leak reports (set aside)", 'result'],
        passes.map(sanitizerRow),
      ),
    );
    const leaks = passes.flatMap((r) => Object.entries(r.logs.leaksByStepAndAddon ?? {}).map(([where, sum]) => [r.pass, ...where.split(': '), sum]));
    if (leaks.length > 0) {
      parts.push(
        '',
        'Memory an addon allocated and never freed, by step and module (LeakSanitizer, at the end of each process):',
        '',
        table(['pass', 'step', 'module', 'reports', 'objects', 'bytes'], leaks.map(([pass, step, module, sum]) => [pass, step, `\`${module}\``, sum.reports, count(sum.objects), count(sum.bytes)])),
      );
    }
    for (const r of passes) {
      const rounds = Object.entries(r.teardown.rounds).map(([k, v]) => `${k}=${v}`).join(', ');
      parts.push('', `${r.pass}: ${provenance(r, Math.round(r.minutes * 60))} Teardown rounds: ${rounds}.`, failureList(r.failures));
    }
  }
  parts.push('');
  if (!tsan) parts.push('ThreadSanitizer: not run yet (`make test-tsan`).');
  else {
    parts.push(
      table(
        ['pass', 'compiled with', 'ran', 'canary race', 'failed', 'result'],
        [[
          'tsan',
          `\`${tsan.flags.compile}\``,
          `${tsan.nativeTests} native tests of common/ and the canary, each up to ${tsan.repeat} times`,
          tsan.canaryDetected ? 'reported' : 'MISSED',
          tsan.failed ?? '—',
          status(tsan),
        ]],
      ),
      '',
      `tsan: ${provenance(tsan)}`,
      failureList(tsan.failures),
    );
  }
  return parts.join('\n');
}

// --- main -------------------------------------------------------------------------------------

function main() {
  const results = readAll();
  const page = [
    header(results),
    totals(results),
    commandsSection(results),
    soakSection(results.soak),
    overloadSection(results.overload),
    teardownSection(results.teardown),
    badInputSection(results['bad-input']),
    sanitizersSection(results),
    machineSection(results),
  ]
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd();
  fs.writeFileSync(PAGE, `${page}\n`);
  fs.mkdirSync(path.dirname(RAW), { recursive: true });
  fs.writeFileSync(RAW, `${JSON.stringify({ generatedAt: new Date().toISOString(), results }, null, 1)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), PAGE)} and ${path.relative(process.cwd(), RAW)}`);
}

main();
