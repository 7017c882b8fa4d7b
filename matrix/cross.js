'use strict';
// linux-arm64 on this x86-64 machine, for make matrix: an arm64 Node from npm runs through
// qemu-user (common/setup/require-arm64.sh registers it with the kernel, so that every child
// process it starts runs through qemu too), and builds with the Debian aarch64 cross compilers.
// Each arm64 Node gets a copy of the sources of its own, matrix/build/<runtime>/: a chapter's
// build/ holds the binaries of one architecture (and a nan recipe's, of one Node ABI), so the
// x86-64 builds in the tree stay untouched and the two arm64 Nodes do not overwrite each other.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REPO = path.join(__dirname, '..');

// What an arm64 run reads: the chapters (with their recipes), what they share, the tests and
// their fixtures, and the script that prints a runtime's versions.
const SOURCES = ['chapters', 'common', 'tests', 'matrix/versions.js', 'package.json'];
const SKIPPED = new Set(['build', 'node_modules']);

// node-gyp's compilers and archiver (its Makefile generator reads these), for aarch64.
const CROSS_ENV = {
  CC: 'aarch64-linux-gnu-gcc',
  CXX: 'aarch64-linux-gnu-g++',
  LINK: 'aarch64-linux-gnu-g++',
  AR: 'aarch64-linux-gnu-ar',
};

// Installs and registers what is missing (as root), or prints the commands and ends the process.
function requireArm64() {
  const script = path.join(REPO, 'common', 'setup', 'require-arm64.sh');
  const result = spawnSync(script, { stdio: 'inherit' });
  if (result.status === 0) return;
  console.error(
    'matrix: the arm64 runtimes need the set-up above; to leave them out, name the others: ' +
      'MATRIX_RUNTIMES=node20,node22,node24,node26,bun,deno make matrix',
  );
  process.exit(result.status ?? 1);
}

// Copies `from` to `to`, file by file, keeping modification times (so that make rebuilds only
// what changed); removes what no longer exists at `from`. build/ and node_modules/ are left out.
function mirror(from, to) {
  const stat = fs.statSync(from);
  if (!stat.isDirectory()) {
    const target = fs.existsSync(to) ? fs.statSync(to) : null;
    if (target && target.size === stat.size && target.mtimeMs === stat.mtimeMs) return;
    fs.copyFileSync(from, to);
    fs.chmodSync(to, stat.mode);
    fs.utimesSync(to, stat.atime, stat.mtime);
    return;
  }
  fs.mkdirSync(to, { recursive: true });
  const names = fs.readdirSync(from).filter((name) => !SKIPPED.has(name));
  for (const name of fs.readdirSync(to)) {
    if (!SKIPPED.has(name) && !names.includes(name)) fs.rmSync(path.join(to, name), { recursive: true });
  }
  for (const name of names) mirror(path.join(from, name), path.join(to, name));
}

// The sources of an arm64 run, brought up to date; returns the copy's root. Its node_modules is
// the repository's (nan, node-addon-api, node-gyp).
function stageTree(runtimeId) {
  const root = path.join(__dirname, 'build', runtimeId);
  for (const source of SOURCES) {
    fs.mkdirSync(path.dirname(path.join(root, source)), { recursive: true });
    mirror(path.join(REPO, source), path.join(root, source));
  }
  const modules = path.join(root, 'node_modules');
  if (!fs.existsSync(modules)) fs.symlinkSync(path.join(REPO, 'node_modules'), modules);
  return root;
}

module.exports = { CROSS_ENV, requireArm64, stageTree };
