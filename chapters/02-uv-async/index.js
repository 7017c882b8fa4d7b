'use strict';
// Chapter 2: a raw uv_async_t, with node-addon-api. Loads this chapter's build and exposes the
// texample contract (docs/contract.md), plus this chapter's own start() option:
//   drain: 'all' (default)  every wake-up delivers everything queued;
//          'one'            every wake-up delivers one item, as the 2011 original did. A teaching
//                           switch: under load it strands items (README.md, experiments/strand.js).
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');
const { typeError, rangeError } = require('../../common/options');

const DRAIN_MODES = ['all', 'one'];

function checkDrain(name, value) {
  const expected = "'all' or 'one'";
  if (typeof value !== 'string') throw typeError(name, expected, value);
  if (!DRAIN_MODES.includes(value)) throw rangeError(name, expected, value);
  return value;
}

// The wake-up is a raw uv_async_t: on Bun, whose libuv functions are stubs, an Error says so.
const binding = loadAddon(__dirname, 'texample', { mechanism: 'libuv' });

module.exports = createTexample(binding, { drain: checkDrain });
