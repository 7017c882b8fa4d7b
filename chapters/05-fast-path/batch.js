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
// Same options as index.js, except batch, which is always on.
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');
const { ringSize } = require('./start-options');

const binding = loadAddon(__dirname, 'texample', { mechanism: 'libuv' });

// excerpt-begin: trampoline
function rethrow(error) {
  throw error;
}

// The object the native side sees as the module.
function perItemAdapter(module) {
  let perItem; // module.callback as read at the current wake-up
  function deliverEach(values, stamps) {
    for (let k = 0; k < values.length; k++) {
      try {
        if (stamps === undefined) perItem.call(module, values[k]);
        else perItem.call(module, values[k], stamps[k]);
      } catch (error) {
        process.nextTick(rethrow, error);
      }
    }
  }
  return {
    get callback() {
      perItem = module.callback;
      return typeof perItem === 'function' ? deliverEach : undefined;
    },
  };
}
// excerpt-end: trampoline

const batchBinding = {
  start: (module, options, onDone) =>
    binding.start(perItemAdapter(module), { ...options, batch: true }, onDone),
  stop: () => binding.stop(),
  stats: () => binding.stats(),
};

module.exports = createTexample(batchBinding, { ringSize });
