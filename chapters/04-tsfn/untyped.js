'use strict';
// Chapter 4's variant with the untyped Napi::ThreadSafeFunction: the same source built with
// TEXAMPLE_UNTYPED, where every call allocates a std::function. Same contract, same options.
const { createTexample } = require('../../common/texample');
const { NOT_APPLICABLE } = require('../../common/turn-budget');

module.exports = createTexample(
  require('../../common/addon').loadAddon(__dirname, 'texample_untyped'),
  require('./start-options'),
  NOT_APPLICABLE.threadsafeFunction,
);
