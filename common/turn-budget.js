'use strict';
// The start() option `turnBudget`, shared by every chapter whose wake-up drains a queue of its
// own: how many items one event-loop turn may deliver before the rest waits for the next turn,
// so that timers and I/O run in between however fast the producers are.
//   turnBudget  integer from 1 to Number.MAX_SAFE_INTEGER, or Infinity; default 4096
//               (DEFAULT_TURN_BUDGET). Infinity: no budget, every wake-up delivers everything it
//               takes (the drain-all of chapters 1 and 2, which a flood turns into one long turn)
// Items, not microseconds: the count is what stats() reports (maxItemsPerWakeup never exceeds
// it on Node), costs no clock read per item, and gives the same turns on every machine; a turn
// lasts turnBudget times the callback's own cost, which its author knows.
// Chapters whose turns the runtime already bounds refuse the option (NOT_APPLICABLE).
const { checkNumber, rangeError } = require('./options');

// The cheapest callback is the worst case for the budget's cost: one more loop turn (a send to
// ourselves, a poll, the timers) cost as much as 60 to 90 calls of an empty callback in chapters
// 1, 2, 4's doorbell and 5 (200 000 items, turnBudget 1 against Infinity), so 4096 items a turn
// cost about 2% of such a stream, and keep a turn of them well under a millisecond. Heavier
// callbacks make the turns longer and the cost smaller: a budget for them is the time a turn may
// take divided by one call's.
const DEFAULT_TURN_BUDGET = 4096;

function checkTurnBudget(name, value) {
  checkNumber(name, value);
  if (value === Infinity) return value;
  if (!Number.isInteger(value) || value < 1 || value > Number.MAX_SAFE_INTEGER) {
    throw rangeError(
      name,
      `an integer number of items from 1 to ${Number.MAX_SAFE_INTEGER}, or Infinity (no budget)`,
      value,
    );
  }
  return value;
}

// The native side reads a number: Infinity travels as 0, "no budget".
function turnBudgetForNative(checked) {
  const budget = checked.turnBudget ?? DEFAULT_TURN_BUDGET;
  return { ...checked, turnBudget: budget === Infinity ? 0 : budget };
}

// A chapter's binding whose start() receives turnBudget always, default filled in.
function withTurnBudget(binding) {
  return {
    start: (module, options, onDone) => binding.start(module, turnBudgetForNative(options), onDone),
    stop: () => binding.stop(),
    stats: () => binding.stats(),
  };
}

// Why a chapter refuses the option: the runtime bounds its turns already.
const NOT_APPLICABLE = {
  threadsafeFunction: {
    turnBudget:
      'the items reach JS as calls of a thread-safe function, and Node already makes at most ' +
      '1000 of them per loop turn before it hands the rest to the next turn; for a budget of ' +
      "your own use chapter 4's doorbell variant or chapter 5",
  },
  nanProgressQueue: {
    turnBudget:
      'this build hands at most 1000 items to JS per wake-up and sends again for the rest, as ' +
      "Node's thread-safe function does; for a budget of your own use chapter 5",
  },
};

module.exports = {
  DEFAULT_TURN_BUDGET,
  checkTurnBudget,
  turnBudgetForNative,
  withTurnBudget,
  NOT_APPLICABLE,
};
