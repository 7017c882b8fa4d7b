'use strict';
// Three behaviours of napi_threadsafe_function that differ between Node 20, 22, 24 and 26, each
// run in a fresh process under every Node (experiments/versions/versions.c, built once by the
// Node running this script; Node-API binaries load on every Node):
//   uncaught   a callback called through a function's call_js throws: does 'uncaughtException'
//              see it? Node's own call_js with the addon reporting Node-API 8 (no flag, and with
//              --force-node-api-uncaught-exceptions-policy) or 10, and the chapter's call_js,
//              which hands it to napi_fatal_exception itself
//   finalizer  10 items queued, then Abort: does the finalizer run before or after call_js gets
//              the queued items with a null env?
//   worker     a worker terminated while a thread of the addon holds a function (one that has no
//              cleanup hook to stop it): afterwards the thread calls it, releases it, or both
// The first column is the Node running this script (the system's Node 20); 22, 24 and 26 come
// from matrix/node_modules, which make matrix installs.
//   node experiments/node-versions.js
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const matrixNodes = require('../../../common/setup/matrix-nodes');

const ADDON = path.join(__dirname, 'versions');
const REPO = path.join(__dirname, '..', '..', '..');

const nodes = () => matrixNodes('node-versions');

// Loads the addon; a process killed inside require() has printed 'require' as its last line.
function load(api) {
  const file = path.join(ADDON, 'build', 'Release', `${api}.node`);
  fs.writeSync(1, 'require\n');
  const addon = require(file);
  fs.writeSync(1, 'loaded\n');
  return addon;
}

// The cases, each run as `node node-versions.js CASE` in a child; they print one word or line.
const CASES = {
  uncaught(api, own) {
    process.on('uncaughtException', () => {
      console.log('uncaughtException');
      process.exitCode = 0;
    });
    const addon = load(api);
    process.on('exit', () => {
      if (!process.exitCode && !reported) console.log(/DEP0168/.test(warnings) ? 'swallowed, DEP0168' : 'swallowed');
    });
    let reported = false;
    let warnings = '';
    process.on('uncaughtException', () => (reported = true));
    process.on('warning', (warning) => (warnings += warning.code ?? warning.message));
    addon.throwFromCallJs(() => {
      throw new Error('thrown in call_js');
    }, own === 'own');
  },
  finalizer(api) {
    const addon = load(api);
    addon.finalizerOrder(10);
    setTimeout(() => {
      const [at, calls] = addon.order();
      console.log(at === 0 ? 'before the items' : at === calls ? 'after the items' : `after ${at} of ${calls} items`);
    }, 50);
  },
  worker(use) {
    const { Worker } = require('node:worker_threads');
    const file = path.join(ADDON, 'build', 'Release', 'api8.node');
    require(file); // loaded here too, so that the worker's exit does not unmap the thread's code
    const source = `require(${JSON.stringify(file)}).holdInWorker(${['call', 'release', 'both'].indexOf(use)}); require('node:worker_threads').parentPort.postMessage('held')`;
    const worker = new Worker(source, { eval: true });
    worker.once('message', () => worker.terminate());
    worker.once('exit', () => setTimeout(() => console.log('lives'), 500));
  },
};

const STATUS = { 0: 'napi_ok', 1: 'napi_invalid_arg', 16: 'napi_closing' };

// Runs one case under `node`; returns its verdict, short: what it printed, or how it ended.
function run(node, args) {
  const result = spawnSync(node, [...args.flags, __filename, ...args.argv], { encoding: 'utf8', timeout: 20_000 });
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  if (result.signal && lines.at(-1) === 'require') return `require() dies: ${result.signal}`;
  const printed = lines.filter((line) => line !== 'require' && line !== 'loaded');
  const steps = [...result.stderr.matchAll(/thread after teardown: \w+ (\d+)/g)].map(([, status]) => STATUS[status] ?? `status ${status}`);
  if (result.signal) return [...steps, result.signal === 'SIGTERM' ? 'hangs' : `dies: ${result.signal}`].join(', ');
  if (result.status !== 0 && !printed.length) return `exit code ${result.status}`;
  return [...steps, ...printed].join(', ');
}

const ROWS = [
  ['throw, Node-API 8, Node\'s call_js', { flags: [], argv: ['uncaught', 'api8', 'node'] }],
  ['throw, Node-API 8, --force-…-policy flag', { flags: ['--force-node-api-uncaught-exceptions-policy'], argv: ['uncaught', 'api8', 'node'] }],
  ['throw, Node-API 10, Node\'s call_js', { flags: [], argv: ['uncaught', 'api10', 'node'] }],
  ['throw, call_js → napi_fatal_exception', { flags: [], argv: ['uncaught', 'api8', 'own'] }],
  ['Abort: finalizer (Node-API 8)', { flags: [], argv: ['finalizer', 'api8'] }],
  ['Abort: finalizer (Node-API 10)', { flags: [], argv: ['finalizer', 'api10'] }],
  ['worker gone, then its thread calls', { flags: [], argv: ['worker', 'call'] }],
  ['worker gone, then its thread releases', { flags: [], argv: ['worker', 'release'] }],
  ['… calls, then releases anyway', { flags: [], argv: ['worker', 'both'] }],
];

if (process.argv[2]) {
  CASES[process.argv[2]](...process.argv.slice(3));
} else {
  const runtimes = nodes();
  if (!fs.existsSync(path.join(ADDON, 'build', 'Release', 'api10.node'))) {
    const build = spawnSync(process.execPath, [path.join(REPO, 'common', 'setup', 'build-addon.js'), ADDON], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  const columns = [['', ...ROWS.map(([label]) => label)]];
  for (const node of runtimes) {
    const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    columns.push([`Node ${version}`, ...ROWS.map(([, args]) => run(node, args))]);
  }
  const widths = columns.map((column) => Math.max(...column.map((cell) => cell.length)));
  for (let row = 0; row <= ROWS.length; row++) {
    console.log(columns.map((column, k) => column[row].padEnd(widths[k])).join('  ').trimEnd());
  }
}
