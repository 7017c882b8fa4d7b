'use strict';
// Soak: SOAK_ITEMS items (default 10 000 000) through every chapter and variant the suite knows
// (common/chapters.js), with 1 and with 2 producers, each run in a process of its own. Every
// item is checked as it arrives: no loss, no duplicate, no reordering per producer, except what
// the target's declared semantics allow (then sent === delivered + dropped and order still holds).
//   SOAK_ITEMS=1000000 node tests/reliability/soak.js
// Prints a table of items, time and peak RSS per run, writes build/results/soak.json and exits
// non-zero if any run failed. No timing thresholds: a run fails on a wrong count, an order
// violation, a crash, or a hang (a child is killed after a generous time-out).
const path = require('node:path');
const { conformanceTargets } = require('../../common/chapters');
const support = require('./lib/support');

const ITEMS = support.positiveIntegerFromEnv('SOAK_ITEMS', 10_000_000);
const PRODUCER_COUNTS = [1, 2];
const CHILD = path.join(__dirname, 'soak-child.js');
// Only there so that a hang fails: two minutes plus 100 µs an item, about 9 times what the
// slowest target takes (tiny-rings, one producer: about 11 µs an item on the project's VM).
const TIMEOUT_MS = 120_000 + ITEMS * 0.1;

async function soakOne(target, producers) {
  const job = { target, count: ITEMS, producers };
  const result = await support.runNode([CHILD, JSON.stringify(job)], { timeoutMs: TIMEOUT_MS });
  const report = support.lastJson(result.stdout);
  const failures = [];
  if (result.timedOut || result.signal || result.code !== 0 || !report) {
    failures.push(`${support.describeExit(result)}: ${result.stderr.trim().slice(-500)}`);
  } else {
    failures.push(...report.problems);
    if (report.violations > report.problems.length) {
      failures.push(`… ${report.violations - report.problems.length} more`);
    }
  }
  return {
    target: target.name,
    semantics: target.semantics,
    producers,
    items: ITEMS,
    stats: report?.stats ?? null,
    ms: report ? Math.round(report.ms) : null,
    itemsPerSecond: report ? Math.round(ITEMS / (report.ms / 1000)) : null,
    maxRssMiB: report ? +(report.maxRssKib / 1024).toFixed(1) : null,
    violations: report?.violations ?? null,
    exit: support.describeExit(result),
    exitKind: support.exitKind(result),
    failures,
  };
}

async function main() {
  const targets = conformanceTargets();
  const runs = [];
  for (const target of targets) {
    for (const producers of PRODUCER_COUNTS) {
      const run = await soakOne(target, producers);
      runs.push(run);
      const status = run.failures.length === 0 ? 'ok' : `FAILED: ${run.failures.join('; ')}`;
      console.log(`soak ${run.target} producers=${producers}: ${status}`);
    }
  }
  console.log();
  support.printTable(
    ['target', 'semantics', 'producers', 'items', 'delivered', 'dropped', 'ms', 'items/s', 'peak RSS MiB', 'result'],
    runs.map((r) => [
      r.target,
      r.semantics,
      r.producers,
      r.items,
      r.stats?.delivered ?? '-',
      r.stats?.dropped ?? '-',
      r.ms ?? '-',
      r.itemsPerSecond ?? '-',
      r.maxRssMiB ?? '-',
      r.failures.length === 0 ? 'ok' : 'FAILED',
    ]),
  );
  const failed = runs.filter((r) => r.failures.length > 0);
  const file = support.writeResult('soak', {
    items: ITEMS,
    producerCounts: PRODUCER_COUNTS,
    runs,
    itemsPushed: runs.reduce((sum, r) => sum + (r.stats?.sent ?? 0), 0),
    violations: runs.reduce((sum, r) => sum + (r.violations ?? 0), 0),
    ...support.exitCounts(runs),
    failed: failed.length,
  }, { sizePrefixes: ['SOAK_'] });
  support.finish(`${runs.length} runs, ${failed.length} failed`, failed.length, file);
}

main();
