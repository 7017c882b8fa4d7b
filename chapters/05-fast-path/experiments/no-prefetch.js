'use strict';
// Chapter 5 built with TEXAMPLE_NO_PREFETCH (binding.gyp's third target): the producer stores into
// its ring without asking for the lines ahead (ring.h, PrefetchAhead). Everything else is the same.
const { createTexample } = require('../../../common/texample');

module.exports = createTexample(
  require('../build/Release/texample_no_prefetch.node'),
  require('../start-options'),
);
