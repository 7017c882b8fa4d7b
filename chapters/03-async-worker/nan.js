'use strict';
// Chapter 3, variant nan: the same chapter on Nan::AsyncProgressQueueWorker. Loads this
// variant's build and exposes the texample contract (docs/contract.md).
const { createTexample } = require('../../common/texample');
const { NOT_APPLICABLE } = require('../../common/turn-budget');
const { loadAddon } = require('../../common/addon');

// One build per Node ABI; on Bun and Deno an Error says why not.
const binding = loadAddon(__dirname, 'texample_nan', { api: 'v8' });

// process.exit() shuts libuv's threadpool down, joining its threads, without running cleanup
// hooks; a running stream's Execute() holds one of those threads until its producers stop. Stop
// them on 'exit', or process.exit() during a stream would wait forever.
process.on('exit', () => binding.stop());

module.exports = createTexample(binding, {}, NOT_APPLICABLE.nanProgressQueue);
