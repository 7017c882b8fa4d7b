'use strict';
// `make test-tsan`: the GoogleTest suite of common/ (tests/native) under ThreadSanitizer, in a
// build directory of its own (tsan/CMakeLists.txt), every test repeated TSAN_REPEAT times
// (default 10), plus the canary race that must be reported. Writes
// build/results/sanitizer-tsan.json.
//   node tests/reliability/tsan.js
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const support = require('./lib/support');

const SOURCE = path.join(__dirname, 'tsan');
const BUILD = path.join(__dirname, 'build', 'tsan');
const REPEAT = support.positiveIntegerFromEnv('TSAN_REPEAT', 10);
const TIMEOUT_MS = 30 * 60_000;
const CANARY = 'TsanCanary.ADataRaceIsReported';

function main() {
  const started = Date.now();
  execFileSync('cmake', ['-S', SOURCE, '-B', BUILD], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('cmake', ['--build', BUILD, '-j', '2'], { stdio: 'inherit' });
  // halt_on_error and a distinct exit code: a report fails the test that caused it.
  const env = { ...process.env, TSAN_OPTIONS: 'halt_on_error=1:exitcode=66:second_deadlock_stack=1' };
  const ctest = spawnSync(
    'ctest',
    ['--test-dir', BUILD, '--output-on-failure', '--repeat', `until-fail:${REPEAT}`, '--timeout', '120'],
    { env, encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 2 ** 20 },
  );
  const output = `${ctest.stdout ?? ''}${ctest.stderr ?? ''}`;
  process.stdout.write(output.split('\n').filter((l) => !/Passed|Start /.test(l)).join('\n'));
  const summary = /(\d+)% tests passed, (\d+) tests failed out of (\d+)/.exec(output);
  const total = summary ? Number(summary[3]) : null;
  const failed = summary ? Number(summary[2]) : null;
  // The canary passes only when TSan reported its race: its runs must be there, all passed.
  const canaryRuns = output.split('\n').filter((l) => l.includes(CANARY));
  const canaryDetected = canaryRuns.some((l) => /Passed/.test(l)) && !canaryRuns.some((l) => /Failed|\*\*\*/.test(l));
  const ok = ctest.status === 0 && failed === 0 && canaryDetected;
  support.writeResult('sanitizer-tsan', {
    pass: 'tsan',
    flags: { compile: '-fsanitize=thread -fno-omit-frame-pointer -g -O1 -Wno-tsan', link: '-fsanitize=thread' },
    tests: total,
    nativeTests: total === null ? null : total - 1, // the canary is one of them
    repeat: REPEAT,
    canaryDetected,
    failed,
    exit: ctest.error ? `hung: ${ctest.error.message}` : `exit code ${ctest.status}`,
    minutes: +((Date.now() - started) / 60_000).toFixed(1),
    failures: ok
      ? []
      : [
          ...(canaryDetected ? [] : ['the canary race went unreported']),
          ...output.split('\n').filter((l) => /Failed|WARNING: ThreadSanitizer|\*\*\*/.test(l)).slice(0, 20),
        ],
  }, { sizePrefixes: ['TSAN_'] });
  console.log(
    `\ntsan: ${total ?? '?'} tests (the canary race included) × up to ${REPEAT} runs each, ${failed ?? '?'} failed; ` +
      `canary race ${canaryDetected ? 'reported' : 'NOT REPORTED'}`,
  );
  process.exitCode = ok ? 0 : 1;
}

main();
