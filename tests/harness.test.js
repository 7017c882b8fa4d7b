'use strict';
// The harness's own logic on synthetic results: statistics, coalescing, ratios to the floors,
// the decision guide, the plan and the charts. No measurement runs here.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { median, medianRun, ratio, coalescing, summarize, decisions } = require('../bench/analysis');
const { plan, SIZES } = require('../bench/harness');
const charts = require('../bench/charts');

function run(deliveredPerSec, extra = {}) {
  const stats = { sent: 1000, delivered: 1000, dropped: 0, wakeups: 10, maxItemsPerWakeup: 400, peakQueueDepth: 0 };
  return {
    stats,
    deliveredPerSec,
    latencyNs: { count: 1000, p50: 10000, p90: 20000, p99: 40000, p999: 90000, max: 100000, cdf: [[0, 5000], [50, 10000], [100, 100000]] },
    cpuMs: 50,
    rssBeforeBytes: 40 * 2 ** 20,
    peakRssBytes: 48 * 2 ** 20,
    problems: [],
    ...extra,
  };
}

function stream(targetName, scenario, options, runs) {
  return { job: { kind: 'stream', targetName, scenario, options }, runs };
}

function syntheticReport() {
  const results = [
    { job: { kind: 'sleeper' }, runs: [{ latenessNs: { p50: 80000, p99: 170000 } }] },
    { job: { kind: 'js-call-floor', api: 'node-api', callsPerScope: 1 }, runs: [{ callsPerSec: 10e6 }, { callsPerSec: 12e6 }, { callsPerSec: 11e6 }] },
    { job: { kind: 'js-call-floor', api: 'node-api', callsPerScope: 1000 }, runs: [{ callsPerSec: 20e6 }, { callsPerSec: 16e6 }, { callsPerSec: 18e6 }] },
    { job: { kind: 'js-call-floor', api: 'v8', callsPerScope: 1 }, runs: [{ callsPerSec: 15e6 }] },
    { job: { kind: 'js-call-floor', api: 'v8', callsPerScope: 1000 }, runs: [{ callsPerSec: 24e6 }] },
    { job: { kind: 'uv-ping-pong' }, runs: [{ roundTripNs: 40000 }] },
  ];
  for (const [name, speed, latencyP50] of [['01-a', 9e6, 12000], ['02-b', 15e6, 9000]]) {
    results.push(stream(name, 'latency', { rate: 1000 }, [run(1000, { latencyNs: { ...run(0).latencyNs, p50: latencyP50 } })]));
    results.push(stream(name, 'sweep', { rate: 0 }, [run(speed * 0.9)]));
    results.push(stream(name, 'unpaced', { rate: 0, producers: 1 }, [run(speed * 1.5), run(speed), run(speed * 0.5)]));
    results.push(stream(name, 'unpaced', { rate: 0, producers: 2 }, [run(speed * 1.2)]));
    results.push(stream(name, 'busy', { rate: 1e6 }, [run(300000, { peakRssBytes: (name === '01-a' ? 60 : 45) * 2 ** 20 })]));
  }
  const targets = [
    { name: '01-a', kind: 'chapter', semantics: 'every-item', api: 'node-api' },
    { name: '02-b', kind: 'chapter', semantics: 'every-item', api: 'v8' },
  ];
  return { targets, results };
}

describe('harness statistics', () => {
  it('median of odd and even counts ignores non-numbers', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([NaN, 5, null, 7, 6]), 6);
    assert.equal(median([]), null);
  });

  it('medianRun picks one real run: the middle one, the lower middle for an even count', () => {
    const runs = [{ v: 5 }, { v: 1 }, { error: 'x' }, { v: 3 }, { v: 9 }];
    assert.deepEqual(medianRun(runs, (r) => r.v), { v: 3 });
    assert.equal(medianRun([{ error: 'x' }], (r) => r.v), null);
  });

  it('coalescing is delivered per wake-up, and ratios need a positive base', () => {
    assert.deepEqual(coalescing({ delivered: 1000, wakeups: 4, maxItemsPerWakeup: 700 }), {
      meanItemsPerWakeup: 250,
      maxItemsPerWakeup: 700,
    });
    assert.deepEqual(coalescing({ delivered: 0, wakeups: 0, maxItemsPerWakeup: 0 }).meanItemsPerWakeup, 0);
    assert.equal(ratio(9, 18), 0.5);
    assert.equal(ratio(9, 0), null);
    assert.equal(ratio(NaN, 3), null);
  });
});

describe('harness summary on synthetic results', () => {
  const summary = summarize(syntheticReport());
  const [a, b] = summary.rows;

  it('takes the floors per API as medians of their repeats, and the best of them', () => {
    assert.deepEqual(summary.floor.jsCall['node-api'], { perItemScope: 11e6, best: 18e6 });
    assert.deepEqual(summary.floor.jsCall.v8, { perItemScope: 15e6, best: 24e6 });
    assert.equal(summary.floor.jsCallBest, 24e6);
    assert.equal(summary.floor.uvPingPongNs, 40000);
  });

  it('reports throughput from the median run, against its own API floor and the best', () => {
    assert.equal(a.throughput, 9e6);
    assert.equal(a.ofApiFloor, 0.5);
    assert.equal(a.ofBestFloor, 9e6 / 24e6);
    assert.equal(b.ofApiFloor, 15e6 / 24e6);
    assert.equal(a.throughput2, 9e6 * 1.2);
  });

  it('computes the cost of stamps, CPU per million items and memory growth', () => {
    assert.equal(a.stampCost, 0.9);
    assert.equal(a.cpuMsPerMillion, 50000);
    assert.equal(a.busy.rssGrowthMiB, 20);
    assert.equal(b.busy.rssGrowthMiB, 5);
  });

  it('orders the sweep by rate with unpaced last', () => {
    assert.deepEqual(a.sweep.map((p) => p.rate), [1000, 0]);
    assert.equal(a.sweep[1].meanItemsPerWakeup, 100);
  });

  it('decides from the figures, and leaves out rows with failed checks', () => {
    const d = decisions(summary);
    assert.equal(d.latency.name, '02-b');
    assert.equal(d.throughput.name, '02-b');
    assert.equal(d.memoryUnderLoad.name, '02-b');
    const failing = { ...summary, rows: summary.rows.map((r) => (r.name === '02-b' ? { ...r, problems: ['lost'] } : r)) };
    assert.equal(decisions(failing).throughput.name, '01-a');
  });
});

describe('harness plan and charts', () => {
  it('the quick plan measures every target in every scenario, floors first', () => {
    const jobs = plan('quick');
    const floorJobs = jobs.slice(0, 6);
    assert.deepEqual(floorJobs.map((j) => j.kind), ['sleeper', ...Array(4).fill('js-call-floor'), 'uv-ping-pong']);
    assert.deepEqual(floorJobs.slice(1, 5).map((j) => `${j.api}/${j.callsPerScope}`), ['node-api/1', 'node-api/1000', 'v8/1', 'v8/1000']);
    const perTarget = new Map();
    for (const job of jobs.filter((j) => j.kind === 'stream')) {
      perTarget.set(job.targetName, (perTarget.get(job.targetName) ?? 0) + 1);
    }
    const expected = SIZES.quick.sweep.length + 2 + 1; // sweep (incl. latency), 1 and 2 producers, busy
    const batchTargets = new Set(jobs.filter((j) => j.target?.callback === 'batch').map((j) => j.targetName));
    for (const [name, count] of perTarget) {
      // A batch callback also gets the batch-sum run: the callback in its lightest form.
      assert.equal(count, expected + (batchTargets.has(name) ? 1 : 0) - (name === '00-original' ? 1 : 0), name);
    }
    // Chapter 0 declares one producer at most ("maxProducers": 1): no run with two.
    assert.ok(!jobs.some((j) => j.targetName === '00-original' && j.options.producers === 2));
    assert.ok(perTarget.has('SharedArrayBuffer ring') && perTarget.has('postMessage per item'));
    // A variant declared "bench": false (chapter 5's tiny rings) is tested, not measured.
    assert.ok(!perTarget.has('05-fast-path/tiny-rings'));
    assert.deepEqual([...batchTargets], ['05-fast-path/batch']);
    const batchSum = jobs.filter((j) => j.scenario === 'batch-sum');
    assert.deepEqual(batchSum.map((j) => [j.targetName, j.checks, j.target.startOptions]), [['05-fast-path/batch', 'sum', { batch: true }]]);
  });

  it('renders a chart to SVG without a browser', async () => {
    const rows = summarize(syntheticReport()).rows;
    const svg = await charts.render(charts.sweepChart(rows, 'delivered', 'title', 'items/s'));
    assert.match(svg, /^<svg/);
    assert.match(svg, /02-b/);
  });
});
