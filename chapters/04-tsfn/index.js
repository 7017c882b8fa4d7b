'use strict';
// Chapter 4: Node-API's thread-safe function, with Napi::TypedThreadSafeFunction. Loads this
// chapter's build and exposes the texample contract (docs/contract.md), plus this chapter's own
// start() options, queueSize and blocking (start-options.js).
const { createTexample } = require('../../common/texample');
const { NOT_APPLICABLE } = require('../../common/turn-budget');
const { loadAddon } = require('../../common/addon');

module.exports = createTexample(
  loadAddon(__dirname, 'texample'),
  require('./start-options'),
  NOT_APPLICABLE.threadsafeFunction,
);
