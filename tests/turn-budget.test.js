'use strict';
// The turn budget (common/turn-budget.js) against every chapter and variant that takes the
// option, and its refusal by every one that does not. No timing thresholds: each flood is built so
// that it cannot be delivered in fewer than K loop turns (count = K · turnBudget), and what runs
// between those turns is counted, not timed.
//   - setImmediate callbacks run once per loop turn (Node: the check phase, after the poll phase
//     in which the items arrive); a chain of them started before the stream runs at least K-1
//     times between the first item and the last.
//   - a 1 ms interval fires after any turn that lasted 3 ms or more (libuv updates its clock before
//     it runs timers, and a coarse clock lags by under 1 ms); a callback that spins 3 ms per item
//     makes every turn that long, so the interval fires at least K-1 times between the first item
//     and the last.
// On Node, where libuv counts loop iterations, stats() shows the budget itself: no wake-up
// delivered more than turnBudget items.
const assert = require('node:assert/strict');
const { describe, it, after } = require('node:test');
const { conformanceTargets } = require('../common/chapters');
const { checkDelivery } = require('./contract-checks');

function optionNames(texample) {
  try {
    texample.start({ '\u0001probe': 1 });
  } catch (error) {
    const match = /known: (.*)$/.exec(String(error?.message));
    if (match) return match[1].split(',').map((name) => name.trim());
  }
  throw new Error('could not read the option names from the unknown-option error of start()');
}

const BAD_BUDGETS = [
  [0, RangeError],
  [-1, RangeError],
  [1.5, RangeError],
  [NaN, RangeError],
  [-Infinity, RangeError],
  [2 ** 53, RangeError],
  ['10', TypeError],
  [10n, TypeError],
  [null, TypeError],
  [true, TypeError],
  [{}, TypeError],
];

function spin(ms) {
  const until = process.hrtime.bigint() + BigInt(ms * 1e6);
  while (process.hrtime.bigint() < until);
}

for (const target of conformanceTargets()) {
  const texample = require(target.modulePath);
  const name = target.name;
  const opts = (options) => ({ ...target.startOptions, ...options });
  const takesBudget = optionNames(texample).includes('turnBudget');

  describe(`${name} (turn budget)`, () => {
    after(() => texample.stop());

    if (!takesBudget) {
      it(`${name}: refuses turnBudget with a TypeError that says why`, () => {
        texample.callback = () => {};
        for (const turnBudget of [1000, Infinity, 'x']) {
          assert.throws(() => texample.start(opts({ count: 10, turnBudget })), (error) => {
            assert.ok(error instanceof TypeError, `${error} is a TypeError`);
            assert.match(error.message, /^option 'turnBudget' does not apply here: .{20,}/);
            return true;
          });
        }
        assert.deepEqual(texample.stats(), texample.stats(), 'nothing started');
      });
      return;
    }

    it(`${name}: bad turnBudget values throw a TypeError or RangeError naming it`, async () => {
      texample.callback = () => {};
      const before = JSON.stringify(texample.stats());
      for (const [turnBudget, errorClass] of BAD_BUDGETS) {
        assert.throws(() => texample.start(opts({ count: 10, turnBudget })), (error) => {
          assert.ok(error instanceof errorClass, `${error} for ${String(turnBudget)} is a ${errorClass.name}`);
          assert.match(error.message, /^option 'turnBudget'/);
          return true;
        });
      }
      assert.equal(JSON.stringify(texample.stats()), before, 'nothing started');
    });

    for (const [turnBudget, producers] of [[1, 1], [7, 3], [Infinity, 2]]) {
      it(`${name}: turnBudget ${turnBudget} delivers 20000 items with ${producers} producer(s)`, async () => {
        const items = [];
        texample.callback = (i) => items.push(i);
        const stats = await texample.start(opts({ count: 20000, rate: 0, producers, turnBudget }));
        checkDelivery(target, items, stats, { count: 20000, producers, complete: true });
        if (stats.maxItemsPerWakeup !== null) {
          assert.ok(stats.maxItemsPerWakeup <= turnBudget, `${stats.maxItemsPerWakeup} <= ${turnBudget} per wake-up`);
        }
      });
    }

    it(`${name}: a flood of 100 turns' worth leaves setImmediate at least 99 turns`, async () => {
      const count = 100_000;
      const turnBudget = 1000;
      const turns = count / turnBudget;
      let delivered = 0;
      let between = 0; // immediates that ran after the first item and before the last
      let running = true;
      const chain = () => {
        if (delivered > 0 && delivered < count) between++;
        if (running) setImmediate(chain);
      };
      setImmediate(chain);
      texample.callback = () => {
        delivered++;
      };
      const stats = await texample.start(opts({ count, rate: 0, turnBudget }));
      running = false;
      assert.equal(stats.delivered, count);
      assert.ok(between >= turns - 1, `setImmediate ran ${between} times during the flood, at least ${turns - 1}`);
      if (stats.wakeups !== null) {
        assert.ok(stats.maxItemsPerWakeup <= turnBudget, `${stats.maxItemsPerWakeup} <= ${turnBudget} per wake-up`);
        assert.ok(stats.wakeups >= turns, `${stats.wakeups} wake-ups, at least ${turns}`);
      }
    });

    it(`${name}: a 1 ms timer set before a long flood fires several times before it ends`, async () => {
      const count = 12;
      const turnBudget = 2;
      const turns = count / turnBudget;
      let delivered = 0;
      let between = 0; // ticks after the first item and before the last
      const timer = setInterval(() => {
        if (delivered > 0 && delivered < count) between++;
      }, 1);
      texample.callback = () => {
        delivered++;
        spin(3); // every turn lasts at least 3 ms: the interval is due after each
      };
      try {
        const stats = await texample.start(opts({ count, rate: 0, turnBudget }));
        assert.equal(stats.delivered, count);
      } finally {
        clearInterval(timer);
      }
      assert.ok(between >= turns - 1, `the interval fired ${between} times during the flood, at least ${turns - 1}`);
    });

    it(`${name}: stop() from the callback mid-flood, then a new stream, under a budget`, async () => {
      const items = [];
      let stopped;
      texample.callback = (i) => {
        items.push(i);
        if (items.length === 5000) stopped = texample.stop();
      };
      const stats = await texample.start(opts({ rate: 0, producers: 2, turnBudget: 100 }));
      assert.deepEqual(await stopped, stats);
      checkDelivery(target, items, stats, { count: Infinity, producers: 2, complete: false });
      const again = [];
      texample.callback = (i) => again.push(i);
      const next = await texample.start(opts({ count: 3000, rate: 0, turnBudget: 10 }));
      checkDelivery(target, again, next, { count: 3000, producers: 1, complete: true });
    });
  });
}
