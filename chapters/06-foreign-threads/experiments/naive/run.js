'use strict';
// The naive version against the chapter, for each failure class of nodejs/node#55706, plain and
// under each sanitizer (the runtime preloaded into an uninstrumented Node):
//   node chapters/06-foreign-threads/experiments/naive/run.js
// Build first: node common/setup/build-addon.js chapters/06-foreign-threads/experiments/naive
// (and the chapter itself). Each line: build, scenario, how the process ended, and the first
// sanitizer report, if any. Classes (scenario.js):
//   late-after-stop  a library thread calls a function that was released and has closed: the
//                    use-after-free of a call after release (nodejs/node#38775's contract, broken
//                    by a library that keeps calling after an at-once unsubscribe)
//   worker-teardown  library threads call while the environment's cleanup finalizes and frees
//                    the function: the use-after-free of nodejs/node#55706, and the unlocked walk
//                    of the queue during finalization that those calls race
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');

const SCENARIO = path.join(__dirname, 'scenario.js');
const runtime = (name) => execFileSync('g++', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
const SANITIZERS = {
  '': {},
  asan: { LD_PRELOAD: runtime('libasan.so'), ASAN_OPTIONS: 'detect_leaks=0:alloc_dealloc_mismatch=0:detect_odr_violation=0' },
  tsan: { LD_PRELOAD: runtime('libtsan.so'), TSAN_OPTIONS: 'halt_on_error=0:report_signal_unsafe=0:exitcode=0' },
};

// The first sanitizer report with a frame in `build` (Node's own uninstrumented code makes TSan
// report races it cannot see the atomics of: those are not this experiment's).
function firstReport(stderr, build) {
  const blocks = stderr.split(/^(?===\d+==ERROR: AddressSanitizer|WARNING: ThreadSanitizer)/m);
  const own = blocks.filter((b) => /ERROR: AddressSanitizer|WARNING: ThreadSanitizer/.test(b) && b.includes(`${build}.node`));
  if (own.length === 0) return '';
  const headline = (b) => b.split('\n')[0].replace(/\(pid=\d+\)/, '').trim();
  const kinds = [...new Set(own.map(headline))];
  const frames = own[0].split('\n').filter((line) => /^\s+#\d /.test(line)).slice(0, 4);
  return [`${own.length} reports with a frame in ${build}.node: ${kinds.join('; ')}`, `first: ${headline(own[0])}`, ...frames.map((f) => f.replace(/\(.*\+0x[0-9a-f]+\)/, '').trim())].join('\n      ');
}

let failures = 0;
for (const scenario of ['late-after-stop', 'worker-teardown']) {
  for (const [sanitizer, env] of Object.entries(SANITIZERS)) {
    for (const kind of ['naive', 'chapter']) {
      const build = sanitizer ? `${kind}_${sanitizer}` : kind;
      const result = spawnSync(process.execPath, [SCENARIO, build, scenario], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
        timeout: 120_000,
      });
      const ended = result.error ? 'hung' : result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
      const survived = /^survived/m.test(result.stdout);
      const report = firstReport(result.stderr, build);
      const clean = survived && result.status === 0 && report === '';
      // The naive build is expected to fail and the chapter to pass; anything else is a finding.
      if (clean !== (kind === 'chapter')) failures++;
      console.log(`${build.padEnd(13)} ${scenario.padEnd(16)} ${ended}${survived ? `, ${result.stdout.trim().split('\n').at(-1)}` : ''}`);
      if (report) console.log(`      ${report}`);
    }
  }
}
console.log(failures === 0 ? '\nevery naive run failed, every chapter run passed' : `\n${failures} runs did not end as expected`);
process.exitCode = failures === 0 ? 0 : 1;
