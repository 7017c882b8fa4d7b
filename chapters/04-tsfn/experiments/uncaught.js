'use strict';
// What Node 20 does with an exception thrown by JS inside a thread-safe function's call_js, and
// what this chapter does instead. Each case runs in a child process of its own:
//   node-default    Node's own call_js (experiments/traps.cc): the exception is left to Node
//   node-default with --force-node-api-uncaught-exceptions-policy
//   chapter         this chapter's texample: its call_js catches it, calls napi_fatal_exception
//   node chapters/04-tsfn/experiments/uncaught.js      (after `make chapter4`)
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const CASES = {
  'node-default'() {
    const traps = require('./load-traps').loadTraps();
    traps.callOnceFromThread(() => {
      throw new Error('thrown in call_js');
    });
  },
  chapter() {
    const texample = require('..');
    texample.callback = () => {
      throw new Error('thrown in call_js');
    };
    texample.start({ count: 1, rate: 0 });
  },
};

function child(name) {
  // stderr only, so that these lines and Node's warning keep their order
  process.on('uncaughtException', (error) => {
    console.error(`'uncaughtException': ${error.message}`);
  });
  process.on('exit', (code) => console.error(`exit code ${code}`));
  CASES[name]();
}

function run(name, flags) {
  const args = [...flags, __filename, name];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const output = result.stderr.replace(/\(node:\d+\)/g, '(node:PID)');
  console.log(`# node ${[...flags, path.basename(__filename), name].join(' ')}`);
  console.log(output.trimEnd().replace(/^/gm, '  '));
}

if (process.argv[2]) {
  child(process.argv[2]);
} else {
  run('node-default', []);
  run('node-default', ['--force-node-api-uncaught-exceptions-policy']);
  run('chapter', []);
}
