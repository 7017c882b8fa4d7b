'use strict';
// For experiments that load another chapter (or bench/floor) than the one a reader has just built:
// builds it first, quietly, so that a reader following a page never meets a missing .node file.
//   require('../../../common/setup/ensure-built')(path.join(__dirname, '..', '..', '01-libev-shim'));
// The compiler's messages go to stderr; a failed build ends the process with its status.
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const BUILD = path.join(__dirname, 'build-addon.js');

function ensureBuilt(...folders) {
  for (const folder of folders) {
    const result = spawnSync(process.execPath, [BUILD, folder], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) {
      console.error(`could not build ${folder}: node ${path.relative(process.cwd(), BUILD)} ${folder} failed`);
      process.exit(result.status ?? 1);
    }
  }
}

module.exports = ensureBuilt;
