'use strict';
// What every reliability script shares: child processes that cannot hang the run, RSS sampled
// from outside, the process's threads and handles, a seeded random source, and the result files
// that tests/reliability/report.js turns into docs/reliability.md.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { osName, compilerVersion, packageVersion } = require('../../../bench/environment');
const { seededRandom } = require('../../../bench/seeded-random');

const ROOT = path.join(__dirname, '..', '..', '..');
const RESULTS_DIR = process.env.RELIABILITY_RESULTS ?? path.join(__dirname, '..', 'build', 'results');

// Runs `node ...args` and resolves { code, signal, stdout, stderr, timedOut, ms, rssSamples }.
// A child still running after `timeoutMs` is killed with SIGKILL and reported as timedOut: a hang
// becomes a failure, never a stuck run. `sampleRssMs` samples the child's VmRSS from
// /proc/PID/status (from outside, so a child busy in a long callback is measured as well);
// samples are [ms since spawn, KiB].
function runNode(args, { timeoutMs, nodeArgs = [], env, sampleRssMs, onLine } = {}) {
  if (!timeoutMs) throw new Error('runNode: a timeout is required');
  const started = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  let timedOut = false;
  const rssSamples = [];
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const sampler = sampleRssMs
    ? setInterval(() => {
        const kib = readRssKib(child.pid);
        if (kib !== null) rssSamples.push([Math.round(elapsedMs()), kib]);
      }, sampleRssMs)
    : null;
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (!onLine) return;
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) !== -1) {
      onLine(pending.slice(0, newline), elapsedMs(), child);
      pending = pending.slice(newline + 1);
    }
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Math.round(elapsedMs()), rssSamples });
    });
  });
}

function readRssKib(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null; // the child has exited
  }
}

// The last line of a child's stdout that parses as JSON, or null.
function lastJson(stdout) {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      return JSON.parse(line);
    } catch {
      // not a report line
    }
  }
  return null;
}

// What a child ended with, as one phrase for a failure message.
function describeExit(result) {
  if (result.timedOut) return `hung: killed after ${result.ms} ms`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit code ${result.code}`;
}

// How a child ended, for the counts in the results: 'hang' (killed after its time-out), 'crash'
// (killed by a signal, or any exit code but the expected one: a child that throws is counted
// with those that abort) or 'ok'. A wrong count with a clean exit is neither: it is one of
// the run's own `failures`.
function exitKind(result, expectedCode = 0) {
  if (result.timedOut) return 'hang';
  if (result.signal || result.code !== expectedCode) return 'crash';
  return 'ok';
}

function threadCount() {
  return fs.readdirSync('/proc/self/task').length;
}

// The process's active handles and requests, as a sorted list of type names.
function activeResources() {
  return process.getActiveResourcesInfo().slice().sort();
}

// The option names a loaded module's start() accepts, as its error for an unknown option lists
// them (common/options.js): a chapter's own options are found without being listed here.
function optionNames(texample) {
  try {
    texample.start({ '\u0001probe': 1 });
  } catch (error) {
    const match = /known: (.*)$/.exec(String(error?.message));
    if (match) return match[1].split(',').map((name) => name.trim()).filter(Boolean);
  }
  throw new Error('could not read the option names from the unknown-option error of start()');
}

function positiveIntegerFromEnv(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

// Where a result was measured: report.js prints it beside the figures.
function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: osName(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    compiler: compilerVersion(),
    packages: Object.fromEntries(['node-addon-api', 'nan', 'node-gyp'].map((name) => [name, packageVersion(name)])),
  };
}

// The environment variables that set a script's sizes (SOAK_ITEMS, TEARDOWN_*, …), as given.
function sizeEnv(prefixes) {
  return Object.fromEntries(
    Object.entries(process.env)
      .filter(([name]) => prefixes.some((prefix) => name.startsWith(prefix)))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

// Writes RESULTS_DIR/NAME.json: `value`, with when it finished, the command that produced it
// (with the size variables it was given) and the machine.
function writeResult(name, value, { sizePrefixes = [] } = {}) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  const command = ['node', path.relative(ROOT, process.argv[1]), ...process.argv.slice(2)].join(' ');
  const header = {
    finishedAt: new Date().toISOString(),
    command,
    sizeEnv: sizeEnv(sizePrefixes),
    wallSeconds: Math.round(process.uptime()),
    machine: machine(),
  };
  fs.writeFileSync(file, JSON.stringify({ ...header, ...value }, null, 1) + '\n');
  return file;
}

// How many of `runs` (each with the exitKind above) crashed and how many hung.
function exitCounts(runs) {
  return {
    crashes: runs.filter((r) => r.exitKind === 'crash').length,
    hangs: runs.filter((r) => r.exitKind === 'hang').length,
  };
}

// The last line of a reliability script: what it found and where its results went. The script
// fails when `failed` is not 0.
function finish(summary, failed, file) {
  console.log(`\n${summary}; results in ${path.relative(process.cwd(), file)}`);
  process.exitCode = failed === 0 ? 0 : 1;
}

function readResult(name) {
  const file = path.join(RESULTS_DIR, `${name}.json`);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
}

// Prints rows (arrays) under a header as aligned plain-text columns.
function printTable(header, rows) {
  const all = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(all[0]));
  for (const row of all.slice(1)) console.log(line(row));
}

module.exports = {
  ROOT,
  RESULTS_DIR,
  runNode,
  readRssKib,
  lastJson,
  describeExit,
  exitKind,
  threadCount,
  activeResources,
  seededRandom,
  optionNames,
  positiveIntegerFromEnv,
  writeResult,
  exitCounts,
  finish,
  readResult,
  printTable,
};
