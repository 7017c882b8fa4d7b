'use strict';
// What chapter 5's interleaved experiments share: each configuration measured in fresh processes,
// the configurations interleaved run by run so that a slow minute of the machine touches them all
// alike, and the median of the runs. A script passes itself as `script`; run as a child with one
// configuration as JSON, it runs its `child` part, which prints one JSON line.
const { execFileSync } = require('node:child_process');

// Main process. results[c][run]: what configuration c's child printed in that run.
function runInterleaved(script, configs, runs) {
  const results = configs.map(() => []);
  for (let run = 0; run < runs; run++) {
    configs.forEach((config, c) => {
      const output = execFileSync(process.execPath, [script, JSON.stringify(config)], { encoding: 'utf8' });
      results[c].push(JSON.parse(output.trim().split('\n').at(-1)));
    });
  }
  return results;
}

function median(values) {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

// Either process: the child's part when the first argument is a configuration, else main().
function runAsChildOrMain(child, main) {
  if (!process.argv[2]?.startsWith('{')) {
    main();
    return;
  }
  child(JSON.parse(process.argv[2])).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { runInterleaved, median, runAsChildOrMain };
