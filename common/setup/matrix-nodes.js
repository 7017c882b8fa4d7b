'use strict';
// For experiments that compare Node versions: the Node running the experiment (the system's
// Node 20) and Node 22, 24 and 26 from matrix/node_modules, which `make matrix` installs. Ends the
// process with a message saying how to install them when they are missing.
//   const nodes = require('../../../common/setup/matrix-nodes')('node-versions');
const fs = require('node:fs');
const path = require('node:path');

const MATRIX = path.join(__dirname, '..', '..', 'matrix', 'node_modules');

function matrixNodes(experiment) {
  const others = [22, 24, 26].map((major) => path.join(MATRIX, `node${major}`, 'bin', 'node'));
  const missing = others.filter((file) => !fs.existsSync(file));
  if (missing.length) {
    console.error(
      `${experiment}: ${missing.join(', ')} missing. Node 22, 24 and 26 come from matrix/package.json: ` +
        'run `make matrix` first (or only `cd matrix && npm ci`, from the repository root).',
    );
    process.exit(2);
  }
  return [process.execPath, ...others];
}

module.exports = matrixNodes;
