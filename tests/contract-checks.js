'use strict';
// The delivery check of the contract (docs/contract.md), shared by the conformance suite
// (conformance.test.js, node:test) and the runtime-neutral contract cases that make matrix runs
// under Bun and Deno (matrix/case.js), so that both assert exactly the same thing.
const assert = require('node:assert/strict');

// Checks delivered items against what the stream sent. `complete`: the stream ran to its count
// (else it was stopped, and each producer sent a prefix of its share).
function checkDelivery(target, items, stats, { count, producers, complete }) {
  assert.equal(stats.sent, stats.delivered + stats.dropped, 'sent === delivered + dropped');
  assert.equal(items.length, stats.delivered, 'callback calls === stats.delivered');
  if (complete) assert.equal(stats.sent, count, 'a completed stream sent every item');
  const last = new Array(producers).fill(-1);
  for (const item of items) {
    assert.ok(Number.isInteger(item) && item >= 0, `item ${item} is a non-negative integer`);
    if (complete) assert.ok(item < count, `item ${item} < count ${count}`);
    const k = item % producers;
    const everyItem = target.semantics === 'every-item';
    const expected = last[k] === -1 ? k : last[k] + producers;
    if (everyItem) assert.equal(item, expected, `producer ${k}: ${expected} comes next`);
    else assert.ok(item > last[k], `producer ${k}: ${item} after ${last[k]}, increasing`);
    last[k] = item;
  }
  if (target.semantics === 'every-item' && (complete || target.onStop === 'delivers')) {
    assert.equal(stats.dropped, 0, 'nothing dropped');
  }
  if (target.semantics === 'latest-only' && complete && count > 0) {
    assert.ok(items.length >= 1, 'at least one item delivered');
    if (target.lastItemDelivered) assert.equal(items.at(-1), count - 1, 'last item delivered');
  }
  if (target.semantics === 'drops-when-full' && complete && count > 0) {
    assert.ok(items.length >= 1, 'at least one item delivered');
  }
}

// The 'alive' scenario's stop condition: the child has printed an item at or past `item`. Not that
// item itself: a latest-only variant may skip any item, so a child waiting for "Bang: 100" would
// run until its time-out whenever 100 was coalesced away (a busy main thread, a slow pipe).
function printedItemAtOrPast(item) {
  return (stdout) => [...stdout.matchAll(/^Bang: (\d+)$/gm)].some(([, i]) => Number(i) >= item);
}

module.exports = { checkDelivery, printedItemAtOrPast };
