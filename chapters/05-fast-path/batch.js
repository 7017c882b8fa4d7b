'use strict';
// Chapter 5's batch mode behind the per-item contract, so that the conformance suite, whose
// callback takes one item per call, checks it too. The native side runs with batch: true and
// calls its module's `callback` once per wake-up with Float64Arrays of the items; here that
// callback is a loop that hands each item to the user's texample.callback(i[, sentNs]).
//   - The user's callback is read from the module once per wake-up, as the contract wants: the
//     native side reads `callback` from the adapter once per wake-up, and the adapter's getter
//     reads the user's then. Not a function: the getter returns undefined, and the native side
//     drops that wake-up's items and counts them.
//   - An exception thrown for one item is rethrown from process.nextTick, after this wake-up's
//     other items: a batch call cannot both throw and go on. The tick runs when the wake-up's
//     callback scope closes, so it reaches 'uncaughtException' (or ends the process) at the end
//     of the same wake-up, after the rest of its batch, where per-item mode reports it at once.
// Same options as index.js (turnBudget counts items, not calls), except batch, which is always on.
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');
const { ringSize, pollUs } = require('./start-options');
const { checkTurnBudget, turnBudgetForNative } = require('../../common/turn-budget');

const binding = loadAddon(__dirname, 'texample', { mechanism: 'libuv' });

// excerpt-begin: trampoline
function rethrow(error) {
  throw error;
}

// The batch callback for one per-item callback: a loop over the wake-up's items. An exception
// leaves the inner loop, is rethrown later and the loop resumes at the next item, so the loop
// itself carries no try per item.
function loopOver(perItem, module) {
  return function deliverEach(values, stamps) {
    let k = 0;
    while (k < values.length) {
      try {
        if (stamps === undefined) for (; k < values.length; k++) perItem.call(module, values[k]);
        else for (; k < values.length; k++) perItem.call(module, values[k], stamps[k]);
      } catch (error) {
        k++;
        process.nextTick(rethrow, error);
      }
    }
  };
}

// The object the native side sees as the module. The loop is built once per callback function,
// closed over it, and kept while module.callback stays the same function: V8 then inlines the
// callback into the loop, as it does in a loop written by hand. A loop that read the callback from
// a variable set at every wake-up calls it through a generic call, at about half the speed
// (experiments/trampoline.js).
function perItemAdapter(module) {
  let perItem; // module.callback when `deliverEach` was built
  let deliverEach;
  return {
    get callback() {
      const current = module.callback;
      if (typeof current !== 'function') return undefined;
      if (current !== perItem) {
        perItem = current;
        deliverEach = loopOver(current, module);
      }
      return deliverEach;
    },
  };
}
// excerpt-end: trampoline

// One adapter per module, kept from stream to stream: a new adapter per stream would build a new
// loop for the same callback, and once a second loop exists V8 no longer treats either loop's
// callback as a constant, which is what lets it inline the callback.
const adapters = new WeakMap();
function adapterFor(module) {
  if (!adapters.has(module)) adapters.set(module, perItemAdapter(module));
  return adapters.get(module);
}

const batchBinding = {
  start: (module, options, onDone) =>
    binding.start(adapterFor(module), { ...turnBudgetForNative(options), batch: true }, onDone),
  stop: () => binding.stop(),
  stats: () => binding.stats(),
};

module.exports = createTexample(batchBinding, { ringSize, pollUs, turnBudget: checkTurnBudget });
