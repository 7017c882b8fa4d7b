'use strict';
// Loads experiments/traps.cc, building it first (offline, like every addon here) if needed.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ADDON = path.join(__dirname, 'build', 'Release', 'traps.node');
const BUILD = path.join(__dirname, '..', '..', '..', 'common', 'setup', 'build-addon.js');

function loadTraps() {
  if (!fs.existsSync(ADDON)) {
    execFileSync(process.execPath, [BUILD, __dirname], { stdio: 'ignore' });
  }
  return require(ADDON);
}

module.exports = { loadTraps };
