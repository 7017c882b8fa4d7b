'use strict';
// Chapter 2: a raw uv_async_t, with node-addon-api. Loads this chapter's build and exposes the
// texample contract (docs/contract.md), plus this chapter's own start() options:
//   drain: 'all' (default)  every wake-up takes everything queued, and delivers up to
//                           turnBudget items of it; the rest in the next loop turn;
//          'one'            every wake-up delivers one item, as the 2011 original did. A teaching
//                           switch: under load it strands items (README.md, experiments/strand.js).
//   turnBudget              the most items one wake-up delivers (common/turn-budget.js); Infinity
//                           delivers everything taken. Not with drain: 'one'.
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');
const { typeError, rangeError } = require('../../common/options');
const { checkTurnBudget, withTurnBudget } = require('../../common/turn-budget');

const DRAIN_MODES = ['all', 'one'];

function checkDrain(name, value) {
  const expected = "'all' or 'one'";
  if (typeof value !== 'string') throw typeError(name, expected, value);
  if (!DRAIN_MODES.includes(value)) throw rangeError(name, expected, value);
  return value;
}

// The wake-up is a raw uv_async_t: on Bun, whose libuv functions are stubs, an Error says so.
const binding = withTurnBudget(loadAddon(__dirname, 'texample', { mechanism: 'libuv' }));

// drain: 'one' delivers one item per wake-up and never sends again: a budget means nothing there.
function start(module, options, onDone) {
  if (options.drain === 'one' && options.turnBudget !== undefined) {
    throw new TypeError(
      "options 'drain' and 'turnBudget' cannot both be given: drain 'one' delivers one item per " +
        'wake-up and never sends again for the rest',
    );
  }
  return binding.start(module, options, onDone);
}

module.exports = createTexample(
  { ...binding, start },
  { drain: checkDrain, turnBudget: checkTurnBudget },
);
