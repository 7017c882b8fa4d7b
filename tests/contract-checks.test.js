'use strict';
// The shared checks of tests/contract-checks.js on made-up outputs, where what they must accept
// and refuse is known exactly.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { printedItemAtOrPast } = require('./contract-checks');

describe("the 'alive' scenario's stop condition", () => {
  const pastHundred = printedItemAtOrPast(100);

  it('stops at item 100, or at the first item past it when a latest-only variant skipped 100', () => {
    assert.equal(pastHundred('Bang: 98\nBang: 99\nBang: 100\n'), true);
    assert.equal(pastHundred('Bang: 0\nBang: 97\nBang: 101\n'), true);
    assert.equal(pastHundred('Bang: 250\n'), true);
  });

  it('does not stop before an item at or past 100 is printed', () => {
    assert.equal(pastHundred(''), false);
    assert.equal(pastHundred('Bang: 0\nBang: 99\n'), false);
    assert.equal(pastHundred('Bang: 99\nBang: 10'), false, 'the first bytes of "Bang: 100"');
    assert.equal(pastHundred('Bang: 1000 apples\n'), false, 'only whole "Bang: N" lines count');
  });
});
