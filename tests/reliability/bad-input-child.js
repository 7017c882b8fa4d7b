'use strict';
// Bad input for one target, in a process of its own: every option of start() fed generated wrong
// types and out-of-range values, plus whole options objects that misbehave. Table-driven: the
// values are generated, and what each one must do follows from the option's kind, read off the
// contract (docs/contract.md) and the chapters' pages. Each case must either throw a TypeError
// (wrong type) or RangeError (out of range) whose message names the option, with nothing started
// and stats() unchanged, or, for a valid value, start a stream that stop() ends cleanly. After
// all of them a stream still delivers every item.
//   node tests/reliability/bad-input-child.js '<{ target } as JSON>'
// Prints one JSON line: { tried, rejected, accepted, handledWrongly, stillWorks, options,
// unknownKinds, problems }: rejected and accepted count the cases handled rightly.
const { DeliveryChecker } = require('./lib/delivery');
const support = require('./lib/support');

const { target } = JSON.parse(process.argv[2]);
const texample = require(target.modulePath);

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_INTERVAL_MS = 2 ** 31 - 1;
const HOUR_MS = 3_600_000;

// Option kinds. The common ones as docs/contract.md's table states them; queueSize and blocking
// as chapters/04-tsfn/README.md does; drain as chapters/02-uv-async's page does; batch, ringSize
// and pollUs as chapters/05-fast-path/start-options.js does; unsubscribe and lateMs as
// chapters/06-foreign-threads/start-options.js does; turnBudget as common/turn-budget.js does. A
// target that refuses turnBudget must say so with a TypeError naming it, whatever the value
// (REFUSED_IF_ABSENT). `mayRefuse`: a pace slower than the
// slowest intervalMs (one item per 2^31-1 ms) may be refused with a RangeError or accepted; if
// accepted, nothing may be sent before it is due. An option a chapter adds without a kind here
// fails the run: its values would go untested.
const KINDS = {
  count: { type: 'number', valid: (v) => v === Infinity || (Number.isInteger(v) && v >= 0 && v <= MAX_SAFE) },
  intervalMs: { type: 'number', valid: (v) => v >= 0 && v <= MAX_INTERVAL_MS, paceMs: (v) => v },
  rate: {
    type: 'number',
    valid: (v) => Number.isFinite(v) && v >= 0,
    paceMs: (v) => (v === 0 ? 0 : 1000 / v),
    mayRefuse: (v) => v > 0 && 1000 / v > MAX_INTERVAL_MS,
  },
  producers: { type: 'number', valid: (v) => Number.isInteger(v) && v >= 1 && v <= 64 },
  stamp: { type: 'boolean' },
  queueSize: { type: 'number', valid: (v) => Number.isInteger(v) && v >= 0 && v <= MAX_SAFE },
  blocking: { type: 'boolean' },
  drain: { type: 'string', valid: (v) => v === 'all' || v === 'one' },
  batch: { type: 'boolean' },
  ringSize: {
    type: 'number',
    valid: (v) => Number.isInteger(v) && v >= 2 && v <= 2 ** 20 && (v & (v - 1)) === 0,
  },
  pollUs: { type: 'number', valid: (v) => Number.isInteger(v) && v >= 0 && v <= 1000 },
  turnBudget: { type: 'number', valid: (v) => v === Infinity || (Number.isInteger(v) && v >= 1 && v <= MAX_SAFE) },
  unsubscribe: { type: 'string', valid: (v) => v === 'wait' || v === 'at-once' },
  lateMs: { type: 'number', valid: (v) => Number.isInteger(v) && v >= 0 && v <= MAX_INTERVAL_MS },
};

// Options every target either takes or refuses by name (common/turn-budget.js, NOT_APPLICABLE).
const REFUSED_IF_ABSENT = { turnBudget: [1, 1000, Infinity] };

const revoked = Proxy.revocable({}, {});
revoked.revoke();
const revokedFunction = Proxy.revocable(() => {}, {});
revokedFunction.revoke();

// Values no number, boolean or string option may take: each must be a TypeError.
const FOREIGN = [
  ['null', null],
  ['the string "5"', '5'],
  ['the empty string', ''],
  ['true', true],
  ['false', false],
  ['5n', 5n],
  ['2n ** 64n', 2n ** 64n],
  ['Symbol()', Symbol('option')],
  ['Symbol.iterator', Symbol.iterator],
  ['{}', {}],
  ['[]', []],
  ['[5]', [5]],
  ['a function', () => 5],
  ['new Number(5)', new Number(5)],
  ['new String("all")', new String('all')],
  ['new Boolean(true)', new Boolean(true)],
  ['{ valueOf() { return 5 } }', { valueOf: () => 5 }],
  ['{ toString() { return "5" } }', { toString: () => '5' }],
  ['{ [Symbol.toPrimitive]() { return 5 } }', { [Symbol.toPrimitive]: () => 5 }],
  ['a Proxy of {}', new Proxy({}, {})],
  ['a Proxy of 5 boxed', new Proxy(new Number(5), {})],
  ['a Proxy of a function', new Proxy(() => 5, {})],
  ['a Proxy whose every trap throws', new Proxy({}, trapsThatThrow())],
  ['a revoked Proxy', revoked.proxy],
  ['a revoked Proxy of a function', revokedFunction.proxy],
  ['new Date(0)', new Date(0)],
  ['/5/', /5/],
  ['new Map()', new Map()],
  ['Object.create(null)', Object.create(null)],
  ['the strings "all" and "one" boxed in an array', ['all', 'one']],
];

// Numbers around every bound of every numeric kind.
const NUMBERS = [
  -1, -0, 0, Number.MIN_VALUE, 1e-12, 1e-10, 4e-7, 5e-7, Number.EPSILON, 0.5, 1, 1.5, 2, 3, 4, 63, 64, 65,
  1000, 2 ** 20, 2 ** 20 + 1, 2 ** 21, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 1e9, 1e15, MAX_SAFE, 2 ** 53, 2 ** 53 + 2,
  2 ** 64, 1e300, Number.MAX_VALUE, -Number.MIN_VALUE, -1e-12, -(2 ** 53), Infinity, -Infinity,
  NaN,
];
const STRINGS = ['all', 'one', 'ALL', 'none', ' all', 'all\u0000', 'wait', 'at-once', 'at-once ', 'x'.repeat(10000)];

function trapsThatThrow() {
  const thrower = () => {
    throw new Error('trap');
  };
  const traps = {};
  for (const trap of ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf',
    'defineProperty', 'set', 'deleteProperty', 'apply', 'construct', 'isExtensible',
    'preventExtensions', 'setPrototypeOf']) {
    traps[trap] = thrower;
  }
  return traps;
}

function show(value) {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  return String(typeof value);
}

// The outcome a value must have for an option of `kind`: 'TypeError', 'RangeError' or 'valid'.
function expected(kind, value) {
  if (typeof value !== kind.type) return 'TypeError';
  if (kind.type === 'number' && Number.isNaN(value)) return 'RangeError';
  if (kind.valid && !kind.valid(value)) return 'RangeError';
  if (kind.mayRefuse?.(value)) return 'valid-or-RangeError';
  return 'valid';
}

// The options the cases of one option are built on: the target's own start options, a finite
// unpaced stream unless the option under test is one of those.
function base(name) {
  const options = { ...target.startOptions };
  delete options[name];
  return options;
}

// Every case: { label, options, expect: 'TypeError' | 'RangeError' | 'valid', names: [...] }.
function cases(optionNames) {
  const all = [];
  for (const name of optionNames) {
    const kind = KINDS[name];
    const add = (label, value, expect) =>
      all.push({ label: `${name}: ${label}`, options: { ...base(name), [name]: value }, expect, names: [name], name });
    const addGetter = (label, get, expect) => {
      const options = base(name);
      Object.defineProperty(options, name, { enumerable: true, configurable: true, get });
      all.push({ label: `${name}: ${label}`, options, expect, names: [name], name });
    };
    for (const [label, value] of FOREIGN) {
      if (!kind && typeof value !== 'symbol' && typeof value !== 'bigint' && typeof value !== 'object') continue;
      add(label, value, kind ? expected(kind, value) : 'TypeError');
    }
    if (kind?.type === 'number') for (const value of NUMBERS) add(show(value), value, expected(kind, value));
    if (kind?.type === 'string') for (const value of STRINGS) add(show(value), value, expected(kind, value));
    if (kind?.type !== 'number' && kind) for (const value of [0, 1, NaN, Infinity]) add(show(value), value, 'TypeError');
    if (kind?.type !== 'string' && kind) for (const value of ['all', 'true']) add(show(value), value, 'TypeError');
    if (kind?.type !== 'boolean' && kind) add('true', true, 'TypeError');
    // Getters: one that throws (an Error, a Symbol, null, an object whose message throws, a
    // revoked Proxy), one that returns a wrong value.
    addGetter('a getter that throws an Error', () => {
      throw new Error('getter failed');
    }, 'TypeError');
    addGetter('a getter that throws a Symbol', () => {
      throw Symbol('thrown');
    }, 'TypeError');
    addGetter('a getter that throws null', () => {
      throw null; // eslint-disable-line no-throw-literal
    }, 'TypeError');
    addGetter('a getter that throws an object whose message getter throws', () => {
      throw {
        get message() {
          throw new Error('message getter failed');
        },
      };
    }, 'TypeError');
    addGetter('a getter that throws a revoked Proxy', () => {
      throw revoked.proxy;
    }, 'TypeError');
    addGetter('a getter that returns a Symbol', () => Symbol('got'), 'TypeError');
  }
  // Both pacing options: a TypeError naming both.
  all.push({ label: 'intervalMs and rate together', options: { ...target.startOptions, intervalMs: 1, rate: 1 }, expect: 'TypeError', names: ['intervalMs', 'rate'] });
  // Options this target refuses: a TypeError naming the option, even for a value others take.
  for (const [name, values] of Object.entries(REFUSED_IF_ABSENT)) {
    if (optionNames.includes(name)) continue;
    for (const value of values) {
      all.push({ label: `${name}: ${show(value)}, refused here`, options: { ...target.startOptions, [name]: value }, expect: 'TypeError', names: [name] });
    }
  }
  // Unknown names, including ones that exist on every object.
  for (const name of ['cout', 'Count', 'constructor', 'toString', '__proto__', 'hasOwnProperty', '']) {
    const options = { ...target.startOptions };
    Object.defineProperty(options, name, { value: 1, enumerable: true, configurable: true, writable: true });
    all.push({ label: `unknown option ${JSON.stringify(name)}`, options, expect: 'TypeError', names: [name] });
  }
  return all;
}

// Whole options objects that are wrong or misbehave: a TypeError that says 'options'.
function wholeObjectCases() {
  const throwingKeys = new Proxy({}, { ownKeys: () => { throw new Error('ownKeys trap'); } });
  const throwingDescriptor = new Proxy({ count: 1 }, {
    getOwnPropertyDescriptor: () => { throw new Error('descriptor trap'); },
  });
  return [
    ['null', null], ['a number', 42], ['a string', 'fast'], ['true', true], ['5n', 5n],
    ['a Symbol', Symbol('options')], ['an array', []], ['an array of options', [{ count: 1 }]],
    ['a function', () => {}], ['a Proxy of an array', new Proxy([], {})],
    ['a Proxy whose ownKeys throws', throwingKeys],
    ['a Proxy whose getOwnPropertyDescriptor throws', throwingDescriptor],
    ['a Proxy whose every trap throws', new Proxy({}, trapsThatThrow())],
    ['a revoked Proxy', revoked.proxy],
  ].map(([label, options]) => ({ label: `options: ${label}`, options, expect: 'TypeError', names: ['options'] }));
}

const problems = [];
let tried = 0;
let rejected = 0; // threw the right error, naming the option, with nothing started
let accepted = 0; // a valid value: started a stream that stop() ended cleanly
let handledWrongly = 0; // cases with at least one problem
let slowPacesChecked = 0;
let mayRefuseAccepted = 0; // paces slower than the slowest intervalMs that start() accepted

let problemCount = 0;

function problem(text) {
  problemCount++;
  if (problems.length < 50) problems.push(text);
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function safeMessage(error) {
  try {
    return String(error?.message ?? error);
  } catch {
    return '(unprintable)';
  }
}

async function tryCase(testCase) {
  tried++;
  const before = JSON.stringify(texample.stats());
  let error = null;
  let done = null;
  // Valid cases are plain objects; producer k emits k, k+P, …: the checker needs P.
  const valid = testCase.expect.startsWith('valid');
  const producers = valid ? (testCase.options.producers ?? 1) : 1;
  const checker = new DeliveryChecker(target, { producers });
  texample.callback = (i) => checker.see(i);
  try {
    done = texample.start(testCase.options);
  } catch (caught) {
    error = caught;
  }
  if (testCase.expect === 'valid-or-RangeError') {
    testCase.expect = error ? 'RangeError' : 'valid';
    if (!error) mayRefuseAccepted++;
  }
  if (testCase.expect === 'valid') {
    if (error) {
      problem(`${testCase.label}: valid, yet start() threw ${safeMessage(error)}`);
      return;
    }
    await checkValidStream(testCase, done, checker);
    return;
  }
  if (!error) {
    problem(`${testCase.label}: started a stream instead of throwing a ${testCase.expect}`);
    await texample.stop();
    await done;
    return;
  }
  const message = safeMessage(error);
  const className = error instanceof RangeError ? 'RangeError' : error instanceof TypeError ? 'TypeError' : String(error?.constructor?.name);
  if (className !== testCase.expect) {
    problem(`${testCase.label}: threw a ${className} (${message}), not a ${testCase.expect}`);
  }
  for (const name of testCase.names) {
    const quoted = name === 'options' ? 'options' : `'${name}'`;
    if (!message.includes(quoted)) problem(`${testCase.label}: the message does not name ${quoted}: ${message}`);
  }
  if (JSON.stringify(texample.stats()) !== before) problem(`${testCase.label}: stats() changed, yet nothing started`);
  const stopped = JSON.stringify(await texample.stop());
  if (stopped !== before) problem(`${testCase.label}: stop() found a stream running`);
}

// A valid value started a stream: one whose pace is an hour or slower must not have sent anything
// a moment later (nothing is due); any other is stopped; either way it settles consistently.
async function checkValidStream(testCase, done, checker) {
  const kind = KINDS[testCase.name];
  const value = testCase.options[testCase.name];
  const paceMs = kind?.paceMs?.(value);
  await tick();
  if (paceMs !== undefined && paceMs >= HOUR_MS) {
    slowPacesChecked++;
    await sleep(20);
    const { sent } = texample.stats();
    if (sent !== 0) problem(`${testCase.label}: one item per ${paceMs} ms, yet ${sent} were sent within 20 ms`);
  }
  const stopStats = await texample.stop();
  const stats = await done;
  if (JSON.stringify(stopStats) !== JSON.stringify(stats)) problem(`${testCase.label}: stop() and start() settled differently`);
  const { problems: found } = checker.finish(stats, { complete: false });
  for (const text of found) problem(`${testCase.label}: ${text}`);
}

async function main() {
  texample.callback = () => {};
  const optionNames = support.optionNames(texample);
  const unknownKinds = optionNames.filter((name) => !KINDS[name]);
  for (const name of unknownKinds) problem(`option '${name}' has no kind in bad-input-child.js: its values go untested`);
  const all = [...wholeObjectCases(), ...cases(optionNames)];
  for (const testCase of all) {
    const problemsBefore = problemCount;
    await tryCase(testCase);
    if (problemCount > problemsBefore) handledWrongly++;
    else if (testCase.expect === 'valid') accepted++;
    else rejected++;
  }

  // The module still works: a stream delivers every item.
  const checkerAfter = new DeliveryChecker(target, { producers: 2, count: 10000 });
  texample.callback = (i) => checkerAfter.see(i);
  const stats = await texample.start({ ...target.startOptions, count: 10000, producers: 2, rate: 0 });
  const after = checkerAfter.finish(stats, { complete: true });
  for (const text of after.problems) problem(`after the bad input: ${text}`);
  const stillWorks = after.violations === 0;
  texample.callback = undefined;
  process.stdout.write(JSON.stringify({ tried, rejected, accepted, handledWrongly, stillWorks, slowPacesChecked, mayRefuseAccepted, options: optionNames, unknownKinds, problems }) + '\n');
}

main();
