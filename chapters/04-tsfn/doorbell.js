'use strict';
// Chapter 4's doorbell variant: the same source built with TEXAMPLE_DOORBELL. Producers queue
// items in the addon's own queue and call the thread-safe function only to ring it; call_js
// drains the queue, up to turnBudget items per loop turn (common/turn-budget.js), and leaves the
// rest to the next turn, which setImmediate marks. Same contract, and stop() drops what is queued,
// as in the per-item builds. queueSize and blocking do not apply: the queue is the addon's own and
// unbounded, and Node's queue never holds more than one ring; given, they are a TypeError naming
// them.
const { setImmediate } = require('node:timers');
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');
const { checkTurnBudget, withTurnBudget } = require('../../common/turn-budget');

const WHY =
  "the doorbell variant's queue is the addon's own and unbounded, and Node's queue never holds " +
  'more than one ring (index.js has the bounded, blocking and non-blocking builds)';

const binding = loadAddon(__dirname, 'texample_doorbell');
// From node:timers, not the global: a test's fake timers replace the global one, and would then
// hold the stream's next turn.
binding.useNextTurn(setImmediate);

module.exports = createTexample(
  withTurnBudget(binding),
  { turnBudget: checkTurnBudget },
  { queueSize: WHY, blocking: WHY },
);
