'use strict';
// Builds one chapter's addon with node-gyp, offline, against the headers of the Node that runs
// this script. Without --nodedir node-gyp would try to download headers, which must never happen.
//   node common/build-addon.js chapters/01-libev-shim
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

function main() {
  const directory = path.resolve(process.argv[2] ?? '.');
  if (!fs.existsSync(path.join(directory, 'binding.gyp'))) {
    console.error(`build-addon: ${directory} has no binding.gyp`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(directory, 'build', 'config.gypi'))) nodeGyp(['configure'], directory);
  nodeGyp(['build', '--jobs=max'], directory);
}

main();
