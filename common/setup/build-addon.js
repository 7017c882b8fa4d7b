'use strict';
// Builds one chapter's addon with node-gyp, offline, against the headers of the Node that runs
// this script. Without --nodedir node-gyp would try to download headers, which must never happen.
//   node common/setup/build-addon.js chapters/01-libev-shim [--v8-only]
// Node-API targets build into the chapter's build/ and load on every Node (and on Bun and Deno).
// A V8 (nan) target is tied to one Node ABI: it builds into build/node-abi-<NODE_MODULE_VERSION>/
// from a binding.gyp generated there, so that builds for several Nodes sit side by side;
// common/addon.js loads the one for the running Node. --v8-only builds just those (make matrix
// runs it under each Node, so that the Node-API binaries stay the ones built once).
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

// /usr/bin/node -> /usr, whose include/node holds the headers and common.gypi.
function nodeHeadersPrefix() {
  const prefix = path.dirname(path.dirname(process.execPath));
  const gypi = path.join(prefix, 'include', 'node', 'common.gypi');
  if (!fs.existsSync(gypi)) {
    console.error(
      `build-addon: no Node headers for ${process.execPath}: ${gypi} is missing.\n` +
        'Install the headers that match this Node (for a distribution Node, its -dev package; ' +
        'the official tarballs ship include/node) and run again. Nothing is downloaded.',
    );
    process.exit(2);
  }
  return prefix;
}

function nodeGyp(args, directory) {
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const result = spawnSync(
    process.execPath,
    [gyp, ...args, `--nodedir=${nodeHeadersPrefix()}`, `--directory=${directory}`, '--loglevel=warn'],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const isV8Target = (target) => JSON.stringify(target).includes('nan/nan.h');

// Rewrites the relative paths of a target (or target_defaults) for a binding.gyp two folders
// further down; commands (<!(…)) and absolute paths stay as they are.
function relocate(dict, from, to) {
  const moved = { ...dict };
  for (const key of ['sources', 'include_dirs']) {
    if (!Array.isArray(dict[key])) continue;
    moved[key] = dict[key].map((entry) =>
      entry.startsWith('<') || path.isAbsolute(entry) ? entry : path.relative(to, path.join(from, entry)),
    );
  }
  return moved;
}

// The chapters are C++17, but V8's headers from Node 24 on require C++20 (v8config.h stops the
// build otherwise): a V8 target is compiled in the standard this Node's common.gypi asks for.
function v8Standard(dict) {
  const gypi = fs.readFileSync(path.join(nodeHeadersPrefix(), 'include', 'node', 'common.gypi'), 'utf8');
  if (!gypi.includes('-std=gnu++20')) return dict;
  const swap = (flags) => flags?.map((flag) => (flag === '-std=c++17' ? '-std=c++20' : flag));
  return {
    ...dict,
    ...(dict.cflags_cc && { cflags_cc: swap(dict.cflags_cc) }),
    ...(dict['cflags_cc!'] && { 'cflags_cc!': [...dict['cflags_cc!'], '-std=gnu++20'] }),
  };
}

// The V8 targets' build for this Node's ABI, in build/node-abi-<modules>/.
function buildForAbi(directory, gyp) {
  const abiDir = path.join(directory, 'build', `node-abi-${process.versions.modules}`);
  fs.mkdirSync(abiDir, { recursive: true });
  const move = (dict) => v8Standard(relocate(dict, directory, abiDir));
  const generated = {
    ...(gyp.target_defaults && { target_defaults: move(gyp.target_defaults) }),
    targets: gyp.targets.filter(isV8Target).map(move),
  };
  const text = `${JSON.stringify(generated, null, 2)}\n`;
  const file = path.join(abiDir, 'binding.gyp');
  const changed = !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text;
  if (changed) fs.writeFileSync(file, text);
  if (changed || !fs.existsSync(path.join(abiDir, 'build', 'config.gypi'))) {
    nodeGyp(['configure'], abiDir);
  }
  nodeGyp(['build', '--jobs=max'], abiDir);
}

function main() {
  const directory = path.resolve(process.argv[2] ?? '.');
  const v8Only = process.argv.includes('--v8-only');
  if (!fs.existsSync(path.join(directory, 'binding.gyp'))) {
    console.error(`build-addon: ${directory} has no binding.gyp`);
    process.exit(2);
  }
  const gyp = JSON.parse(fs.readFileSync(path.join(directory, 'binding.gyp'), 'utf8'));
  if (gyp.targets.some(isV8Target)) buildForAbi(directory, gyp);
  if (v8Only || gyp.targets.every(isV8Target)) return;
  if (!fs.existsSync(path.join(directory, 'build', 'config.gypi'))) nodeGyp(['configure'], directory);
  nodeGyp(['build', '--jobs=max'], directory);
}

main();
