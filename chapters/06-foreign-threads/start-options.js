'use strict';
// This chapter's own start() options, checked like the common ones (common/options.js): a wrong
// type is a TypeError, a value out of range a RangeError, and the message starts with the name.
//   unsubscribe  'wait' (default) or 'at-once': how stop() unsubscribes from the library. 'wait'
//                returns once no library thread is inside the callback (stats() is final when
//                stop() resolves); 'at-once' returns at once, and the library's threads go on
//                calling for up to lateMs, each call refused and counted in stats().late.
//   lateMs       integer 0 … 2^31-1, default 0: how long the library's threads go on calling
//                after an at-once unsubscribe (stop() with 'at-once', and every teardown).
const { typeError, rangeError, checkNumber } = require('../../common/options');

const FLAVOURS = ['wait', 'at-once'];
const MAX_LATE_MS = 2 ** 31 - 1;

function checkUnsubscribe(name, value) {
  if (typeof value !== 'string') throw typeError(name, "'wait' or 'at-once'", value);
  if (!FLAVOURS.includes(value)) throw rangeError(name, "'wait' or 'at-once'", value);
  return value;
}

function checkLateMs(name, value) {
  checkNumber(name, value);
  if (!Number.isInteger(value) || value < 0 || value > MAX_LATE_MS) {
    throw rangeError(name, `an integer number of milliseconds from 0 to ${MAX_LATE_MS}`, value);
  }
  return value === 0 ? 0 : value; // folds -0 into 0
}

module.exports = { unsubscribe: checkUnsubscribe, lateMs: checkLateMs };
