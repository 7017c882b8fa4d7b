'use strict';
// This chapter's own start() options, checked like the common ones (common/options.js): a wrong
// type is a TypeError, a value out of range a RangeError, and the message starts with the name.
//   batch     boolean, default false: one call per wake-up, callback(values[, stamps]), with
//             Float64Arrays of every item the wake-up took, instead of one call per item
//   ringSize  power of two from 2 to 2^20, default 65536: slots in each producer's ring; a
//             producer that finds its ring full waits until half of it is free
//   pollUs    integer from 0 to 1000, default 0: after a delivery ends, the main thread keeps
//             looking at the rings for up to this many microseconds before it sleeps
//             (busy-polling: a lower latency for items that follow closely, paid for in
//             main-thread CPU); one callback looks for at most this long from its start, and the
//             rest of a window goes on in the next callback, after the loop's timers and I/O
const { checkBoolean, checkNumber, rangeError } = require('../../common/options');

const MAX_RING_SIZE = 2 ** 20;

function checkRingSize(name, value) {
  checkNumber(name, value);
  const powerOfTwo = Number.isInteger(value) && value >= 2 && (value & (value - 1)) === 0;
  if (!powerOfTwo || value > MAX_RING_SIZE) {
    throw rangeError(name, `a power of two from 2 to ${MAX_RING_SIZE}`, value);
  }
  return value;
}

const MAX_POLL_US = 1000;

function checkPollUs(name, value) {
  checkNumber(name, value);
  if (!Number.isInteger(value) || value < 0 || value > MAX_POLL_US) {
    throw rangeError(name, `an integer number of microseconds from 0 to ${MAX_POLL_US}`, value);
  }
  return value;
}

module.exports = { batch: checkBoolean, ringSize: checkRingSize, pollUs: checkPollUs };
