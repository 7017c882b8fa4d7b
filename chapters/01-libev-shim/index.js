'use strict';
// Chapter 1: the libev-style shim. Loads this chapter's build for the running Node (nan: one
// build per Node ABI; on Bun and Deno an Error says why not) and exposes the texample contract
// (docs/contract.md).
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');

module.exports = createTexample(loadAddon(__dirname, 'texample', { api: 'v8' }));
