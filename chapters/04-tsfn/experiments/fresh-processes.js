'use strict';
// What chapter 4's throughput experiments share: each configuration measured in fresh processes,
// the configurations interleaved run by run so that a slow minute of the machine touches them all
// alike, and the median of the runs. The script passes itself as `script`; run as a child with
// one configuration as JSON, it prints one JSON line of results.
const { execFileSync } = require('node:child_process');

// Main process. results[c][run]: what configuration c's child printed in that run.
function runInterleaved(script, configs, runs) {
  const results = configs.map(() => []);
  for (let run = 0; run < runs; run++) {
    configs.forEach((config, c) => {
      const out = execFileSync(process.execPath, [script, JSON.stringify(config)], {
        encoding: 'utf8',
      });
      results[c].push(JSON.parse(out));
    });
  }
  return results;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

module.exports = { runInterleaved, median };
