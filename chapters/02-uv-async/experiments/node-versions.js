'use strict';
// uv_async_send under every Node of the matrix: the same 1 000 000 unpaced items through this
// chapter (its Node-API build loads on every Node), five processes per Node, printing the libuv
// that Node ships and how many wake-ups the sends coalesced into: the median and the range, which
// show that the count moves from run to run with how the two threads are scheduled. The first row
// is the Node running this script (the system's Node 20); 22, 24 and 26 come from
// matrix/node_modules, which make matrix installs.
//   node experiments/node-versions.js
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const matrixNodes = require('../../../common/setup/matrix-nodes');

const COUNT = 1_000_000;
const RUNS = 5;

// One Node: its versions, then the wake-ups of RUNS fresh processes of coalescing.js.
function measure(node) {
  const run = (args) => spawnSync(node, args, { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
  const versions = JSON.parse(run(['-p', 'JSON.stringify(process.versions)']).stdout);
  const wakeups = [];
  let sent = '?';
  for (let k = 0; k < RUNS; k++) {
    const result = run([path.join(__dirname, 'coalescing.js'), String(COUNT), '1', '0']);
    if (result.status !== 0) throw new Error(`${node}: ${result.stderr}`);
    const field = (name) => result.stdout.match(new RegExp(`^${name}:\\s+(\\S+)`, 'm'))?.[1] ?? '?';
    sent = field('sent \\(uv_async_send\\)');
    wakeups.push(Number(field('wakeups')));
  }
  wakeups.sort((a, b) => a - b);
  const median = wakeups[Math.floor(RUNS / 2)];
  return [`Node ${versions.node}`, versions.uv, sent, `${median} (${wakeups[0]}–${wakeups[RUNS - 1]})`];
}

const rows = [['Node', 'libuv', 'uv_async_send calls', `wake-ups, median (range) of ${RUNS}`]];
for (const node of matrixNodes('node-versions')) rows.push(measure(node));
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
