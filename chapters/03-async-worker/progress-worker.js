'use strict';
// Chapter 3, variant progress-worker: Napi::AsyncProgressWorker, which delivers only the latest
// progress (latest-only semantics, declared in conformance.json). Loads this variant's build and
// exposes the texample contract (docs/contract.md).
const { createTexample } = require('../../common/texample');
const { NOT_APPLICABLE } = require('../../common/turn-budget');

const binding = require('../../common/addon').loadAddon(__dirname, 'texample_progress_worker');

// process.exit() shuts libuv's threadpool down, joining its threads, without running cleanup
// hooks; a running stream's Execute() holds one of those threads until its producers stop. Stop
// them on 'exit', or process.exit() during a stream would wait forever.
process.on('exit', () => binding.stop());

module.exports = createTexample(binding, {}, NOT_APPLICABLE.threadsafeFunction);
