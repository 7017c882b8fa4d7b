'use strict';
// Chapter 1: the libev-style shim. Loads this chapter's build and exposes the texample contract
// (docs/contract.md).
const { createTexample } = require('../../common/texample');

module.exports = createTexample(require('./build/Release/texample.node'));
