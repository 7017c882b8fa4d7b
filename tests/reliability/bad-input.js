'use strict';
// Bad input for start() against every chapter and variant the suite knows (common/chapters.js),
// each in a process of its own: see bad-input-child.js for the table of cases and what each must
// do. Writes build/results/bad-input.json; exits non-zero on any case handled wrongly, a crash or
// a hang.
//   node tests/reliability/bad-input.js
const path = require('node:path');
const { conformanceTargets } = require('../../common/chapters');
const support = require('./lib/support');

const CHILD = path.join(__dirname, 'bad-input-child.js');
const TIMEOUT_MS = 120_000; // only so that a hang fails

async function main() {
  const runs = [];
  for (const target of conformanceTargets()) {
    const result = await support.runNode([CHILD, JSON.stringify({ target })], { timeoutMs: TIMEOUT_MS });
    const report = support.lastJson(result.stdout);
    const failures = [];
    if (result.timedOut || result.signal || result.code !== 0 || !report) {
      failures.push(`${support.describeExit(result)}: ${result.stderr.trim().slice(-800)}`);
    }
    if (report) failures.push(...report.problems);
    runs.push({ target: target.name, exit: support.describeExit(result), exitKind: support.exitKind(result), ...report, failures });
    const status = failures.length === 0 ? `ok (${report.tried} inputs)` : `FAILED:\n  ${failures.join('\n  ')}`;
    console.log(`bad input ${target.name}: ${status}`);
  }
  console.log();
  support.printTable(
    ['target', 'options', 'inputs', 'rejected rightly', 'accepted rightly', 'handled wrongly', 'works after'],
    runs.map((r) => [
      r.target,
      (r.options ?? []).join(' '),
      r.tried ?? '-',
      r.rejected ?? '-',
      r.accepted ?? '-',
      r.handledWrongly ?? '-',
      r.stillWorks === undefined ? '-' : r.stillWorks ? 'yes' : 'NO',
    ]),
  );
  const failed = runs.filter((r) => r.failures.length > 0);
  const file = support.writeResult('bad-input', {
    runs,
    inputsTried: runs.reduce((sum, r) => sum + (r.tried ?? 0), 0),
    rejected: runs.reduce((sum, r) => sum + (r.rejected ?? 0), 0),
    accepted: runs.reduce((sum, r) => sum + (r.accepted ?? 0), 0),
    handledWrongly: runs.reduce((sum, r) => sum + (r.handledWrongly ?? 0), 0),
    ...support.exitCounts(runs),
    failed: failed.length,
  });
  support.finish(`${runs.length} targets, ${failed.length} with inputs handled wrongly`, failed.length, file);
}

main();
