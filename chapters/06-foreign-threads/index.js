'use strict';
// Chapter 6: items arrive on threads a C library owns (library/feed.h), through a handle whose
// outer part any thread may hold and whose inner part dies with the environment. Exposes the
// texample contract (docs/contract.md), this chapter's start() options unsubscribe and lateMs
// (start-options.js), turnBudget (common/turn-budget.js: the items one loop turn delivers, the
// rest in the next turn, which setImmediate marks), and two functions of its own:
//   texample.request(value[, { delayMs }])  a promise of the library's answer (value * 2), given
//                 on a library thread delayMs (default 0) after the call; it needs a running
//                 stream, and rejects with an Error when the stream ends before the answer
//   texample.libraryStats()  the library's process-wide counters: threadsRunning, calls,
//                 refused, replies, refusedReplies, callsAfterUnsubscribe, and unmatched (calls
//                 whose stream the addon had already forgotten)
const { setImmediate } = require('node:timers');
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');
const { checkNumber, typeError, rangeError, describe } = require('../../common/options');
const { checkTurnBudget, withTurnBudget } = require('../../common/turn-budget');

const binding = loadAddon(__dirname, 'texample');
// From node:timers, not the global: a test's fake timers replace the global one, and would then
// hold the stream's next turn.
binding.useNextTurn(setImmediate);
const texample = createTexample(withTurnBudget(binding), {
  ...require('./start-options'),
  turnBudget: checkTurnBudget,
});

// The answer, value * 2, must stay exact as a Number.
const MAX_REQUEST = 2 ** 52;
const MAX_DELAY_MS = 2 ** 31 - 1;

function checkRequest(value, options) {
  checkNumber('value', value);
  if (!Number.isInteger(value) || value < 0 || value > MAX_REQUEST) {
    throw rangeError('value', `an integer from 0 to ${MAX_REQUEST}`, value);
  }
  if (options === undefined) return 0;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object or undefined, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (name !== 'delayMs') throw new TypeError(`option '${name}' is not an option of request(); known: delayMs`);
  }
  const { delayMs = 0 } = options;
  checkNumber('delayMs', delayMs);
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
    throw rangeError('delayMs', `an integer number of milliseconds from 0 to ${MAX_DELAY_MS}`, delayMs);
  }
  return delayMs;
}

texample.request = (value, options) => {
  if (typeof value !== 'number') throw typeError('value', 'a number', value);
  const delayMs = checkRequest(value, options);
  return binding.request(value, delayMs);
};

texample.libraryStats = () => binding.libraryStats();

module.exports = texample;
