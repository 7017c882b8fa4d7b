'use strict';
// Chapter 5's own promises beyond the contract: its batch mode (chapters/05-fast-path/README.md).
// A crash must fail a test, not end the runner, so each stream runs in a child process. No timing
// thresholds: every assertion is about counts, sums and exit codes.
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { describe, it } = require('node:test');

const CHAPTER = path.join(__dirname, '..', 'chapters', '05-fast-path');
const only = process.env.CHAPTERS?.split(',').filter(Boolean);
const skip = only && !only.some((prefix) => '05-fast-path'.startsWith(prefix));

// Runs `body` (the text of an async function of `texample`) in a fresh Node on chapter 5's
// index.js; returns the exit code, the signal and what the function resolved to.
function runInChild(body) {
  const script = `
    const texample = require(${JSON.stringify(CHAPTER)});
    (${body})(texample).then((result) => process.stdout.write(JSON.stringify(result)));`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  let result;
  try {
    result = JSON.parse(child.stdout);
  } catch {
    result = undefined;
  }
  return { status: child.status, signal: child.signal, stderr: child.stderr, result };
}

// A batch callback that keeps its arrays by transferring their buffers, on every wake-up. Small
// rings and two producers make many wake-ups, each of which finds the previous buffers detached.
// `transfer` is the text of a function (values, stamps) returning the kept copies, or a promise
// of them.
function transferEveryBatch(transfer) {
  return `async (texample) => {
    const transfer = ${transfer};
    const count = 200000;
    const kept = [];
    texample.callback = (values, stamps) => kept.push(transfer(values, stamps));
    const stats = await texample.start({ batch: true, stamp: true, count, producers: 2,
                                         rate: 0, ringSize: 64 });
    const batches = await Promise.all(kept);
    let items = 0, sum = 0, stamped = 0, oversized = 0;
    for (const [values, stamps] of batches) {
      items += values.length;
      for (const value of values) sum += value;
      for (const stamp of stamps) if (stamp > 0) stamped++;
      if (values.length !== stamps.length) throw new Error('values and stamps differ in length');
      if (values.buffer.byteLength !== values.length * 8) oversized++;
      if (stamps.buffer.byteLength !== stamps.length * 8) oversized++;
    }
    return { calls: batches.length, items, sum, stamped, oversized, stats };
  }`;
}

function checkTransferred({ status, signal, stderr, result }) {
  assert.equal(signal, null, `the child was not killed by a signal (${signal}); stderr: ${stderr}`);
  assert.equal(status, 0, `the child exited with 0; stderr: ${stderr}`);
  const count = 200000;
  assert.equal(result.stats.sent, count);
  assert.equal(result.stats.delivered, count);
  assert.equal(result.stats.dropped, 0);
  assert.equal(result.items, count, 'every item reached JS once');
  assert.equal(result.sum, (count * (count - 1)) / 2, 'sum of 0 … count-1');
  assert.equal(result.stamped, count, 'every item has its send time');
  assert.ok(result.calls > 1, 'more than one wake-up, so buffers were reused after a transfer');
  assert.equal(result.oversized, 0, 'every buffer kept is as long as its batch');
}

describe('05-fast-path batch mode', { skip }, () => {
  it('a callback that transfers values and stamps with structuredClone on every wake-up', () => {
    const body = transferEveryBatch(`(values, stamps) => structuredClone([values, stamps],
      { transfer: [values.buffer, stamps.buffer] })`);
    checkTransferred(runInChild(body));
  });

  it('a callback that posts values and stamps to a MessagePort, transferring them', () => {
    const body = transferEveryBatch(`(() => {
      const { port1, port2 } = new MessageChannel();
      const waiting = []; // resolvers, in the order of the messages posted
      let open = 0;
      port2.on('message', (message) => {
        waiting.shift()(message);
        if (--open === 0) port2.unref();
      });
      return (values, stamps) => {
        if (open++ === 0) port2.ref();
        const received = new Promise((resolve) => waiting.push(resolve));
        port1.postMessage([values, stamps], [values.buffer, stamps.buffer]);
        return received;
      };
    })()`);
    checkTransferred(runInChild(body));
  });
});

// Many producers with large rings, so that every ring together (producers × ringSize × 8 bytes,
// 8 MiB here) is far longer than a batch: the buffers a reader keeps, or that the stream reuses,
// must follow the batches, not the rings. `keep` is the text of a function (values, stamps)
// returning the arrays to look at; `rate` 0 makes few long batches, a paced one many short ones.
function manyLargeRings(keep, { count, rate }) {
  return `async (texample) => {
    const keep = ${keep};
    const count = ${count}, rate = ${rate}, producers = 16, ringSize = 65536;
    const buffers = new Set();
    let calls = 0, items = 0, sum = 0, longest = 0, oversized = 0;
    texample.callback = (values, stamps) => {
      const [kept, keptStamps] = keep(values, stamps);
      calls++;
      items += kept.length;
      for (const value of kept) sum += value;
      if (keptStamps.length !== kept.length) throw new Error('values and stamps differ in length');
      for (const array of [kept, keptStamps]) {
        buffers.add(array.buffer);
        longest = Math.max(longest, array.buffer.byteLength);
        if (array.buffer.byteLength !== array.length * 8) oversized++;
      }
    };
    const stats = await texample.start({ batch: true, stamp: true, count, producers, rate,
                                         ringSize });
    return { calls, items, sum, longest, oversized, distinct: buffers.size, stats, count,
             ringsBytes: producers * ringSize * 8 };
  }`;
}

function checkManyLargeRings({ status, signal, stderr, result }) {
  assert.equal(signal, null, `the child was not killed by a signal (${signal}); stderr: ${stderr}`);
  assert.equal(status, 0, `the child exited with 0; stderr: ${stderr}`);
  const { count } = result;
  assert.deepEqual([result.stats.sent, result.stats.delivered, result.stats.dropped], [count, count, 0]);
  assert.equal(result.items, count, 'every item reached JS once');
  assert.equal(result.sum, (count * (count - 1)) / 2, 'sum of 0 … count-1');
  return result;
}

describe('05-fast-path batch buffers follow the batches, not the rings', { skip }, () => {
  it('a reader that transfers every batch keeps buffers exactly as long as its batches', () => {
    const result = checkManyLargeRings(
      runInChild(
        manyLargeRings(
          `(values, stamps) => structuredClone([values, stamps],
            { transfer: [values.buffer, stamps.buffer] })`,
          { count: 4000, rate: 40000 },
        ),
      ),
    );
    assert.ok(result.calls > 1, 'more than one wake-up, so buffers were replaced after a transfer');
    assert.equal(result.oversized, 0, 'no kept buffer is longer than its batch');
    assert.equal(result.distinct, 2 * result.calls, 'a buffer of its own for every batch kept');
  });

  it('a reader that keeps nothing sees the buffers reused, grown by doubling', () => {
    const keepNothing = '(values, stamps) => [values, stamps]';
    const result = checkManyLargeRings(runInChild(manyLargeRings(keepNothing, { count: 50000, rate: 100000 })));
    assert.ok(result.calls > 1, 'more than one wake-up, so the buffers could be reused');
    const perArray = Math.log2(result.ringsBytes / 8) + 1; // at most one per doubling, and the first
    assert.ok(result.distinct <= 2 * perArray, `${result.distinct} buffers, at most ${2 * perArray}`);
    assert.ok(result.longest <= result.ringsBytes, 'no buffer longer than every ring together');
  });
});

describe('05-fast-path pollUs', { skip }, () => {
  it('rejects a window that is not an integer from 0 to 1000 µs, naming the option', () => {
    const texample = require(CHAPTER);
    for (const pollUs of [-1, 1001, 0.5, NaN, Infinity]) {
      assert.throws(() => texample.start({ count: 1, pollUs }), {
        name: 'RangeError',
        message: /^option 'pollUs' must be /,
      });
    }
    for (const pollUs of ['5', true, null, 5n]) {
      assert.throws(() => texample.start({ count: 1, pollUs }), { name: 'TypeError', message: /^option 'pollUs'/ });
    }
  });

  it('with a window longer than the gap between items, every item arrives once, in order', () => {
    const { status, stderr, result } = runInChild(`async (texample) => {
      let next = 0, wrong = 0;
      texample.callback = (i) => { if (i !== next) wrong++; next = i + 1; };
      const stats = await texample.start({ count: 3000, rate: 20000, pollUs: 1000 });
      return { wrong, next, stats };
    }`);
    assert.equal(status, 0, stderr);
    assert.equal(result.wrong, 0);
    assert.equal(result.next, 3000);
    assert.equal(result.stats.delivered, 3000);
    assert.equal(result.stats.dropped, 0);
  });
});
