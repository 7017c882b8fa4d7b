'use strict';
// Chapter 1: the libev-style shim. Loads this chapter's build for the running Node (nan: one
// build per Node ABI; on Bun and Deno an Error says why not) and exposes the texample contract
// (docs/contract.md), plus the start() option turnBudget (common/turn-budget.js): the most items
// one wake-up delivers before it sends again for the rest; Infinity drains everything per wake-up.
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');
const { checkTurnBudget, withTurnBudget } = require('../../common/turn-budget');

module.exports = createTexample(withTurnBudget(loadAddon(__dirname, 'texample', { api: 'v8' })), {
  turnBudget: checkTurnBudget,
});
