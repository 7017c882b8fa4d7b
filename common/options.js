'use strict';
// Checks the options of start() once, for every chapter, and turns them into what the native
// side expects. Wrong types throw a TypeError, out-of-range values a RangeError; every message
// starts with the option's name, so a caller can tell which one is wrong.

const MAX_INTERVAL_MS = 2 ** 31 - 1; // setTimeout's limit: about 24.8 days
const MAX_PRODUCERS = 64;

const COMMON_OPTIONS = {
  count: checkCount,
  intervalMs: checkIntervalMs,
  rate: checkRate,
  producers: checkProducers,
  stamp: checkBoolean,
};

// Array.isArray throws on a revoked Proxy: such a value is an object here, not an array, so
// that the error about it still names the option.
function isArray(value) {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

// What a thrown value says, without throwing again: a getter may throw a Symbol, null, a revoked
// Proxy or an object whose own message getter throws.
function thrownText(error) {
  try {
    const message = error?.message;
    return typeof message === 'string' ? message : String(error);
  } catch {
    return 'an exception that cannot be printed';
  }
}

function describe(value) {
  if (value === null) return 'null';
  if (isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

function typeError(name, expected, value) {
  return new TypeError(`option '${name}' must be ${expected}, got ${describe(value)}`);
}

function rangeError(name, expected, value) {
  return new RangeError(`option '${name}' must be ${expected}, got ${describe(value)}`);
}

function checkNumber(name, value) {
  if (typeof value !== 'number') throw typeError(name, 'a number', value);
  if (Number.isNaN(value)) throw rangeError(name, 'a number, not NaN', value);
}

function checkCount(name, value) {
  const expected = `an integer from 0 to ${Number.MAX_SAFE_INTEGER}, or Infinity`;
  checkNumber(name, value);
  if (value === Infinity) return value;
  if (!Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    throw rangeError(name, expected, value);
  }
  return value === 0 ? 0 : value; // folds -0 into 0
}

function checkIntervalMs(name, value) {
  checkNumber(name, value);
  if (!(value >= 0 && value <= MAX_INTERVAL_MS)) {
    throw rangeError(name, `a number of milliseconds from 0 to ${MAX_INTERVAL_MS}`, value);
  }
  return value;
}

function checkRate(name, value) {
  checkNumber(name, value);
  if (!(value >= 0 && Number.isFinite(value))) {
    throw rangeError(name, 'a finite number of items per second, 0 or more (0 = unpaced)', value);
  }
  return value;
}

function checkProducers(name, value) {
  checkNumber(name, value);
  if (!Number.isInteger(value) || value < 1 || value > MAX_PRODUCERS) {
    throw rangeError(name, `an integer from 1 to ${MAX_PRODUCERS}`, value);
  }
  return value;
}

function checkBoolean(name, value) {
  if (typeof value !== 'boolean') throw typeError(name, 'a boolean', value);
  return value;
}

// Reads one option; a getter that throws becomes a TypeError naming the option.
function readOption(options, name) {
  try {
    return options[name];
  } catch (error) {
    throw new TypeError(`option '${name}' could not be read: ${thrownText(error)}`);
  }
}

function ownOptionNames(options) {
  try {
    return Object.keys(options);
  } catch (error) {
    throw new TypeError(`options could not be listed: ${thrownText(error)}`);
  }
}

// The longest period the producers can wait: item n is due at start + (n+1)·period, computed in
// uint64 nanoseconds and then as steady_clock's int64, which must not wrap for the first item of
// each of 64 producers. 2^56 ns is about 2.3 years, far beyond the slowest intervalMs (24.8 days);
// a slower rate (1e-12/s, Number.MIN_VALUE, whose period is 1e21 ns or Infinity) would otherwise
// wrap to a due time in the past and run unpaced.
const MAX_PERIOD_NS = 2 ** 56;

// The whole stream's pacing, as nanoseconds between items; 0 = as fast as possible.
function periodNs(checked) {
  if (checked.intervalMs !== undefined) return Math.round(checked.intervalMs * 1e6);
  if (checked.rate !== undefined) {
    return checked.rate === 0 ? 0 : Math.min(Math.round(1e9 / checked.rate), MAX_PERIOD_NS);
  }
  return 5000 * 1e6; // the original's pace: one item every 5 seconds
}

/**
 * Checks `options` (undefined or a plain object) against the common options plus a chapter's
 * own `extraChecks` ({ name: (name, value) => checkedValue }).
 * Returns { count, periodNs, producers, stamp, ...extras } for the native start().
 */
// `notApplicable`: names a variant refuses whatever their value, each with the reason, so that
// the TypeError says why rather than only that the name is unknown (chapter 4's doorbell refuses
// the per-item builds' queueSize and blocking). They are not among the names the error lists.
function checkOptions(options, extraChecks = {}, notApplicable = {}) {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || isArray(options)) {
    throw new TypeError(`options must be an object or undefined, got ${describe(options)}`);
  }
  const checks = { ...COMMON_OPTIONS, ...extraChecks };
  for (const name of ownOptionNames(options)) {
    if (Object.hasOwn(notApplicable, name)) {
      throw new TypeError(`option '${name}' does not apply here: ${notApplicable[name]}`);
    }
    if (!Object.hasOwn(checks, name)) {
      const known = Object.keys(checks).join(', ');
      throw new TypeError(`option '${name}' is not an option of start(); known: ${known}`);
    }
  }
  const checked = {};
  for (const [name, check] of Object.entries(checks)) {
    const value = readOption(options, name);
    if (value !== undefined) checked[name] = check(name, value);
  }
  if (checked.intervalMs !== undefined && checked.rate !== undefined) {
    throw new TypeError("options 'intervalMs' and 'rate' cannot both be given: pick one");
  }
  const { count = Infinity, producers = 1, stamp = false, intervalMs, rate, ...extras } = checked;
  return { count, periodNs: periodNs({ intervalMs, rate }), producers, stamp, ...extras };
}

module.exports = { checkOptions, checkBoolean, checkNumber, typeError, rangeError, describe };
