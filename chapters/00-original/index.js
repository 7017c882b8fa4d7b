'use strict';
// Chapter 0: the 2011 design, bugs kept. Loads this chapter's build behind the texample
// contract's interface so that the harness can measure it; it does not meet the contract
// (conformance.json excludes it from the suite, README.md says why). One producer, as in 2011.
const { createTexample } = require('../../common/texample');
const { rangeError } = require('../../common/options');
const { loadAddon } = require('../../common/addon');

const texample = createTexample(loadAddon(__dirname, 'texample', { api: 'v8' }));
const start = texample.start;
texample.start = (options) => {
  if (options?.producers !== undefined && options.producers !== 1) {
    throw rangeError('producers', '1: the 2011 design had one thread', options.producers);
  }
  return start(options);
};

module.exports = texample;
