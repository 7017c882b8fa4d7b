'use strict';
// What the 2011 bugs do, measured: chapter 0 (bugs kept) against chapter 1 (the same design,
// fixed), each run in a fresh process by the benchmark's own runner (bench/run-one.js).
//   node experiments/bugs.js
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const ensureBuilt = require('../../../common/setup/ensure-built');

const RUN_ONE = path.join(__dirname, '..', '..', '..', 'bench', 'run-one.js');
const CHAPTERS = {
  '00-original': path.join(__dirname, '..'),
  '01-libev-shim': path.join(__dirname, '..', '..', '01-libev-shim'),
};
const SCENARIOS = [
  ['a burst: 100 000 items, unpaced', { count: 100000, rate: 0 }],
  ['100 000 items/s for 0.2 s', { count: 20000, rate: 100000 }],
  ['1 000 items/s for 1 s', { count: 1000, rate: 1000 }],
];

function measure(modulePath, options) {
  const job = { kind: 'stream', target: { modulePath }, options, latency: true };
  return JSON.parse(execFileSync(process.execPath, [RUN_ONE, JSON.stringify(job)], { encoding: 'utf8' }));
}

ensureBuilt(...Object.values(CHAPTERS));
const us = (ns) => (ns === undefined ? '—' : `${(ns / 1000).toFixed(0)} µs`);
console.log('scenario                          chapter        sent    delivered  stranded  p50       p99');
for (const [label, options] of SCENARIOS) {
  for (const [name, modulePath] of Object.entries(CHAPTERS)) {
    const { stats, latencyNs } = measure(modulePath, options);
    const row = [
      label.padEnd(33),
      name.padEnd(14),
      String(stats.sent).padStart(6),
      String(stats.delivered).padStart(12),
      String(stats.stranded ?? 0).padStart(9),
      us(latencyNs?.p50).padStart(9),
      us(latencyNs?.p99).padStart(9),
    ];
    console.log(row.join(' '));
  }
}
