'use strict';
// What machine and software a report was measured on, read at run time (never typed in).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');

function tryRun(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function cpuinfoField(name) {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith(name));
    return line?.split(':')[1]?.trim() ?? null;
  } catch {
    return null;
  }
}

// Both layers where there are two (a container inside a VM is common on CI machines).
function virtualization() {
  const flags = (cpuinfoField('flags') ?? '').split(' ');
  const vm = tryRun('systemd-detect-virt', ['--vm']);
  const container = tryRun('systemd-detect-virt', ['--container']);
  const parts = [];
  if (vm) parts.push(`VM: ${vm}`);
  else if (flags.includes('hypervisor')) parts.push('VM: yes (hypervisor flag in /proc/cpuinfo)');
  if (container) parts.push(`container: ${container}`);
  return parts.join(', ') || 'none detected';
}

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

// The distribution's name, from /etc/os-release.
function osName() {
  try {
    return /^PRETTY_NAME="?(.*?)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

// The C++ compiler node-gyp uses: $CXX, else g++.
function compilerVersion() {
  return tryRun(process.env.CXX ?? 'g++', ['--version'])?.split('\n')[0] ?? null;
}

function debianVersion(name) {
  return tryRun('dpkg-query', ['-W', '-f=${Version}', name]);
}

function collectEnvironment() {
  return {
    cpuModel: cpuinfoField('model name') ?? os.cpus()[0]?.model ?? null,
    cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    virtualization: virtualization(),
    os: osName(),
    // Other work on the machine spoils every figure: recorded so that a reader can see it.
    loadAverageAtEnd: os.loadavg().map((l) => +l.toFixed(2)),
    node: process.versions.node,
    libuvInNode: process.versions.uv,
    v8: process.versions.v8,
    napi: process.versions.napi,
    compiler: compilerVersion(),
    packages: Object.fromEntries(
      ['node-addon-api', 'nan', 'node-gyp', 'vega', 'vega-lite'].map((n) => [n, packageVersion(n)]),
    ),
    debian: Object.fromEntries(
      ['libuv1-dev', 'libbenchmark-dev', 'libgtest-dev'].map((n) => [n, debianVersion(n)]),
    ),
  };
}

// The commit measured, and whether the tree had changes on top of it.
function gitCommit() {
  try {
    const run = (args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const hash = run(['rev-parse', 'HEAD']);
    const dirty = run(['status', '--porcelain', '--untracked-files=no', '--', 'chapters', 'common', 'bench']) !== '';
    return { hash, date: run(['show', '-s', '--format=%cI', 'HEAD']), dirty };
  } catch {
    return null;
  }
}

module.exports = { collectEnvironment, gitCommit, osName, compilerVersion, packageVersion };
