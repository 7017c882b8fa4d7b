'use strict';
// Chapter 3: the AsyncWorker family, main build: Napi::AsyncProgressQueueWorker. Loads this
// chapter's build and exposes the texample contract (docs/contract.md).
const { isMainThread } = require('node:worker_threads');
const { createTexample } = require('../../common/texample');
const { NOT_APPLICABLE } = require('../../common/turn-budget');
const { loadAddon } = require('../../common/addon');

const binding = loadAddon(__dirname, 'texample');

// excerpt-begin: exit
// process.exit() shuts libuv's threadpool down, joining its threads, without running cleanup
// hooks; a running stream's Execute() holds one of those threads until its producers stop and
// the main thread has seen every item. Stop them on 'exit' and tell Execute that nothing more
// will be seen, or process.exit() during a stream would wait forever. A worker's process.exit()
// ends only that worker, whose loop goes on turning while Node tears it down: stop() is enough.
process.on('exit', () => (isMainThread ? binding.processExiting() : binding.stop()));
// excerpt-end: exit

module.exports = createTexample(binding, {}, NOT_APPLICABLE.threadsafeFunction);
