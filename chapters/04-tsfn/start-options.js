'use strict';
// This chapter's own start() options, checked like the common ones (common/options.js): a wrong
// type is a TypeError, a value out of range a RangeError, and the message starts with the name.
//   queueSize  integer >= 0, default 0: the ThreadSafeFunction's max_queue_size; 0 = unbounded
//   blocking   boolean, default true: on a full queue a producer waits (BlockingCall); with false
//              it does not (NonBlockingCall), and the refused item is counted as dropped
const { checkBoolean, checkNumber, rangeError } = require('../../common/options');

function checkQueueSize(name, value) {
  checkNumber(name, value);
  if (!Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    throw rangeError(name, `an integer from 0 (unbounded) to ${Number.MAX_SAFE_INTEGER}`, value);
  }
  return value === 0 ? 0 : value; // folds -0 into 0
}

module.exports = { queueSize: checkQueueSize, blocking: checkBoolean };
