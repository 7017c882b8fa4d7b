'use strict';
// bench/flood.js's rounds: which configuration runs in which round, and its options' errors.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { parseArgs, roundsOf } = require('../bench/flood');

const idle = { name: 'idle', budget: '-', modulePath: null };
const before = { name: '01-libev-shim', budget: 'before', modulePath: '/m' };
const after = { name: '01-libev-shim', budget: 'after', modulePath: '/m' };
const bounded = { name: '03-async-worker', budget: '-', modulePath: '/m' };

describe('bench/flood.js rounds (exact)', () => {
  it('by default: seven rounds for idle and a budget, five for a runtime-bounded chapter, two without a budget', () => {
    const options = parseArgs([]);
    assert.deepEqual([idle, after, bounded, before].map((c) => roundsOf(c, options)), [7, 7, 5, 2]);
  });

  it('never more rounds than --rounds', () => {
    const options = parseArgs(['--rounds', '3', '--bounded-rounds', '4', '--side-rounds', '5']);
    assert.deepEqual([idle, after, bounded, before].map((c) => roundsOf(c, options)), [3, 3, 3, 3]);
    const narrowed = parseArgs(['--rounds', '4', '--bounded-rounds', '2', '--side-rounds', '1']);
    assert.deepEqual([idle, after, bounded, before].map((c) => roundsOf(c, narrowed)), [4, 4, 2, 1]);
  });

  it('names the option it refuses', () => {
    assert.throws(() => parseArgs(['--bounded-rounds', '0']), { name: 'RangeError', message: /--bounded-rounds must be an integer >= 1, got "0"/ });
    assert.throws(() => parseArgs(['--bounded-rounds']), { name: 'TypeError', message: /--bounded-rounds needs a value/ });
  });
});
