'use strict';
// Chapter 4's doorbell variant: the same source built with TEXAMPLE_DOORBELL. Producers queue
// items in the addon's own queue and call the thread-safe function only to ring it; call_js
// drains the whole queue. Same contract, and stop() drops what is queued, as in the per-item
// builds. queueSize and blocking do not apply: the queue is the addon's own and unbounded, and
// Node's queue never holds more than one ring; given, they are a TypeError naming them.
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');

const WHY =
  "the doorbell variant's queue is the addon's own and unbounded, and Node's queue never holds " +
  'more than one ring (index.js has the bounded, blocking and non-blocking builds)';

module.exports = createTexample(
  loadAddon(__dirname, 'texample_doorbell'),
  {},
  { queueSize: WHY, blocking: WHY },
);
