'use strict';
// Chapter 5 built with TEXAMPLE_SYMMETRIC_FENCES (binding.gyp's second target): a seq_cst fence
// on both sides of the sleep handshake instead of membarrier(2). Everything else is the same.
const { createTexample } = require('../../../common/texample');

module.exports = createTexample(
  require('../build/Release/texample_symmetric.node'),
  require('../start-options'),
);
