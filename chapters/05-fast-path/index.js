'use strict';
// Chapter 5: the fast path. Loads this chapter's build and exposes the texample contract
// (docs/contract.md), plus this chapter's own start() options, batch, ringSize and pollUs
// (start-options.js), and turnBudget (common/turn-budget.js).
const { createTexample } = require('../../common/texample');
const { loadAddon } = require('../../common/addon');

const { checkTurnBudget, withTurnBudget } = require('../../common/turn-budget');

module.exports = createTexample(
  withTurnBudget(loadAddon(__dirname, 'texample', { mechanism: 'libuv' })),
  { ...require('./start-options'), turnBudget: checkTurnBudget },
);
