'use strict';
// The harness's own logic on synthetic results: statistics, coalescing, ratios to the floors,
// the decision guide, the plan and the charts. No measurement runs here.
const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const {
  median,
  medianRun,
  ratio,
  coalescing,
  summarize,
  decisions,
  seededRandom,
  quantileSorted,
  quantileSelected,
  bootstrapMedian,
  bootstrapRatio,
  bootstrapPercentile,
  bootstrapPercentileDifference,
  bestWithTies,
  verdict,
  targetEntry,
  targetList,
  intervalRatio,
  ringBoundReached,
} = require('../bench/analysis');
const { plan, series, planSummary, disturbedRounds, runJobs, SIZES, PINNED_CPUS } = require('../bench/harness');
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
    results.push(stream(name, 'producers', { count: 1000, rate: 0, producers: 1 }, [run(speed), run(speed * 1.1)]));
    results.push(stream(name, 'producers', { count: 1000, rate: 0, producers: 2 }, [run(speed * 0.8)]));
    results.push(stream(name, 'stamped', { count: 1000, rate: 0, producers: 1 }, [run(speed * 0.9), run(speed * 0.99)]));
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

  it('takes the floors per API as the best of their repeats, and the best of them', () => {
    assert.deepEqual(summary.floor.jsCall['node-api'], { perItemScope: 12e6, best: 20e6 });
    assert.deepEqual(summary.floor.jsCall.v8, { perItemScope: 15e6, best: 24e6 });
    assert.equal(summary.floor.jsCallBest, 24e6);
    assert.equal(summary.floor.uvPingPongNs, 40000);
  });

  it('reports throughput from the best run, against its own API floor and the best', () => {
    assert.equal(a.throughput, 13.5e6);
    assert.equal(a.ofApiFloor, 13.5e6 / 20e6);
    assert.equal(a.ofBestFloor, 13.5e6 / 24e6);
    assert.equal(b.ofApiFloor, 22.5e6 / 24e6);
    assert.equal(a.throughput2, 9e6 * 1.2);
  });

  it('computes the cost of stamps, CPU per million items and memory growth', () => {
    // Stamped ÷ unstamped, both from the producers group: bests 0.99 × speed over 1.1 × speed.
    assert.equal(a.stampCost.median, 0.9);
    assert.equal(a.stampCost.n, 2);
    assert.equal(a.stampCost.statistic, 'best');
    assert.deepEqual(a.producers[2], { median: 9e6 * 0.8, lo: 9e6 * 0.8, hi: 9e6 * 0.8, n: 1, statistic: 'best' });
    assert.equal(a.producerItems, 1000);
    assert.equal(a.cpuMsPerMillion, 50000);
    assert.equal(a.busy.rssGrowthMiB, 20);
    assert.equal(b.busy.rssGrowthMiB, 5);
  });

  it('orders the sweep by rate with unpaced last', () => {
    assert.deepEqual(a.sweep.map((p) => p.rate), [1000, 0]);
    assert.equal(a.sweep[1].meanItemsPerWakeup, 100);
  });

  it('decides from the figures with ties, and leaves out rows with failed checks', () => {
    const d = decisions(summary);
    // One latency run each: each interval is a point, so the lower p50 wins outright.
    assert.equal(d.latency.winner.name, '02-b');
    // Throughput runs 13.5, 9, 4.5 M/s against 22.5, 15, 7.5 M/s: the intervals overlap, a tie.
    assert.equal(d.throughput.winner, null);
    assert.equal(d.throughput.best.name, '02-b');
    assert.deepEqual(d.throughput.tied.map((r) => r.name), ['02-b', '01-a']);
    const failing = { ...summary, rows: summary.rows.map((r) => (r.name === '02-b' ? { ...r, problems: ['lost'] } : r)) };
    assert.equal(decisions(failing).throughput.winner.name, '01-a');
  });

  it('gives every throughput figure an interval and a ratio to its bounding floor', () => {
    // The best of 13.5, 9 and 4.5: a resample of three draws 4.5 alone one time in 27, above 2.5%.
    assert.deepEqual(a.throughputCI, { median: 13.5e6, lo: 4.5e6, hi: 13.5e6, n: 3, statistic: 'best' });
    assert.equal(a.bound.name, 'JS-call floor (node-api)');
    assert.equal(b.bound.name, 'JS-call floor (v8)');
    assert.equal(a.ofApiFloorCI.median, 13.5e6 / 20e6);
    assert.equal(b.bound.share.n, 1);
  });
});

describe('harness bootstrap, ties and verdicts (seeded, exact)', () => {
  it('the seeded generator is reproducible', () => {
    const random = seededRandom(13);
    assert.deepEqual([random(), random(), random()], [0.5663226493634284, 0.36011716164648533, 0.0705908453091979]);
  });

  it('quantiles interpolate between neighbours', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
    assert.equal(quantileSorted([], 0.5), null);
  });

  it('a quantile by selection equals the one from sorted values, duplicates included', () => {
    const random = seededRandom(5);
    let compared = 0;
    for (let trial = 0; trial < 500; trial++) {
      const length = 1 + Math.floor(random() * 200);
      const few = trial % 2 === 0; // half the trials draw from 4 values: many ties
      const values = Float64Array.from({ length }, () => (few ? Math.floor(random() * 4) : random()));
      for (const fraction of [0, 0.5, 0.99, 0.999, 1, random()]) {
        const sorted = Float64Array.from(values).sort();
        assert.equal(quantileSelected(Float64Array.from(values), fraction), quantileSorted(sorted, fraction));
        compared++;
      }
    }
    assert.equal(compared, 3000);
    assert.equal(quantileSelected(new Float64Array(0), 0.5), null);
  });

  it('bootstraps the best of runs: one slow process of five moves neither the best nor the low end', () => {
    const fast = [18.1, 17.5, 18.0, 17.2];
    const interval = bootstrapMedian([...fast, 11.4], { statistic: 'best' });
    assert.equal(interval.median, 18.1);
    assert.equal(interval.hi, 18.1);
    assert.ok(fast.includes(interval.lo), `low end ${interval.lo} is a fast process`);
    // The median of the same five reaches down to the slow one.
    assert.equal(bootstrapMedian([...fast, 11.4]).lo, 11.4);
    assert.deepEqual(bootstrapRatio([10, 12, 6], [4, 5, 5], { statistic: 'best' }).median, 12 / 5);
  });

  it('bootstraps the median of runs', () => {
    assert.deepEqual(bootstrapMedian([1, 2, 3, 4, 5], { resamples: 200, seed: 1 }), { median: 3, lo: 1, hi: 5, n: 5 });
    assert.deepEqual(bootstrapMedian([7]), { median: 7, lo: 7, hi: 7, n: 1 });
    assert.deepEqual(bootstrapMedian([3, 3, 3, 3, 3]), { median: 3, lo: 3, hi: 3, n: 5 });
    assert.equal(bootstrapMedian([NaN, null]), null);
  });

  it('bootstraps a ratio of medians, each side resampled on its own', () => {
    assert.deepEqual(bootstrapRatio([10, 12, 11], [5, 6, 4], { resamples: 500, seed: 2 }), {
      median: 2.2,
      lo: 1.6666666666666667,
      hi: 3,
      n: 3,
    });
    assert.deepEqual(bootstrapRatio([10, 10, 10], [5, 5, 5]), { median: 2, lo: 2, hi: 2, n: 3 });
    assert.equal(bootstrapRatio([1], []), null);
    assert.equal(bootstrapRatio([1], [0]), null);
  });

  it('bootstraps the difference of two pooled percentiles, each side resampled on its own', () => {
    const d = bootstrapPercentileDifference([[5, 5, 5], [5, 5, 5]], [[2, 2], [2, 2, 2]], 0.99);
    assert.deepEqual(d, { median: 3, lo: 3, hi: 3, n: 2 });
    assert.equal(bootstrapPercentileDifference([[1]], [], 0.5), null);
  });

  it('bootstraps a latency percentile over processes, then samples', () => {
    assert.deepEqual(bootstrapPercentile([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], 0.5, { resamples: 300, seed: 3 }), {
      median: 5.5,
      lo: 2,
      hi: 9,
      n: 2,
      samples: 10,
    });
  });

  it('names a winner only where the intervals do not overlap', () => {
    const rows = [
      { name: 'a', v: { median: 10, lo: 9, hi: 11 } },
      { name: 'b', v: { median: 12, lo: 10.5, hi: 13 } },
      { name: 'c', v: { median: 20, lo: 19, hi: 21 } },
    ];
    const tie = bestWithTies(rows, (r) => r.v, true);
    assert.equal(tie.best.name, 'a');
    assert.equal(tie.winner, null);
    assert.deepEqual(tie.tied.map((r) => r.name), ['a', 'b']);
    rows[1].v.lo = 11.5;
    assert.equal(bestWithTies(rows, (r) => r.v, true).winner.name, 'a');
    assert.equal(bestWithTies(rows, (r) => r.v, false).winner.name, 'c');
    assert.equal(bestWithTies([], (r) => r.v, true), null);
  });

  it('a goal is met or not met only where the whole interval says so', () => {
    assert.equal(verdict({ lo: 0.9, hi: 1.1 }, 1), 'undecided');
    assert.equal(verdict({ lo: 1.2, hi: 1.3 }, 1), 'met');
    assert.equal(verdict({ lo: 0.5, hi: 0.8 }, 1), 'not met');
    assert.equal(verdict({ lo: 0.5, hi: 0.8 }, 1, false), 'met');
    assert.equal(verdict(null, 1), 'undecided');
  });
});

describe('targets.json entries and the estimator (exact)', () => {
  it('an entry is met only when the whole interval clears the goal, in either direction', () => {
    assert.deepEqual(targetEntry('t', 0.95, 'min', { median: 1.02, lo: 0.96, hi: 1.1, n: 5 }), {
      name: 't', goal: 0.95, goalKind: 'min', estimate: 1.02, lo: 0.96, hi: 1.1, verdict: 'met', processes: 5,
    });
    assert.equal(targetEntry('t', 0.95, 'min', { median: 1.02, lo: 0.94, hi: 1.1, n: 5 }).verdict, 'undecided');
    assert.equal(targetEntry('t', 0.95, 'min', { median: 0.9, lo: 0.8, hi: 0.94, n: 5 }).verdict, 'not met');
    assert.equal(targetEntry('t', 1, 'max', { median: 0.9, lo: 0.8, hi: 0.99, n: 5 }).verdict, 'met');
    assert.equal(targetEntry('t', 1, 'max', { median: 1.2, lo: 1.01, hi: 1.3, n: 5 }).verdict, 'not met');
    assert.equal(targetEntry('t', 1, 'max', { median: 1, lo: 0.9, hi: 1.1, n: 5 }).verdict, 'undecided');
    // A bound the run never reached: undecided whatever the interval, with the reason.
    assert.deepEqual(targetEntry('t', 2, 'max', { median: 1, lo: 1, hi: 1, n: 5 }, 'not reached'), {
      name: 't', goal: 2, goalKind: 'max', estimate: 1, lo: 1, hi: 1, verdict: 'undecided', why: 'not reached', processes: 5,
    });
    // One or two processes decide nothing.
    assert.deepEqual(targetEntry('t', 2, 'max', { median: 1, lo: 1, hi: 1, n: 1 }), {
      name: 't', goal: 2, goalKind: 'max', estimate: 1, lo: 1, hi: 1, verdict: 'undecided', why: '1 process: fewer than 3 decide nothing', processes: 1,
    });
    assert.equal(targetEntry('t', 2, 'max', { median: 1, lo: 1, hi: 1, n: 3 }).verdict, 'met');
    assert.deepEqual(targetEntry('t', 2, 'min', null), { name: 't', goal: 2, goalKind: 'min', estimate: null, lo: null, hi: null, verdict: 'undecided' });
  });

  it('a latency ratio takes the conservative interval: below 1 exactly when the intervals do not overlap', () => {
    assert.deepEqual(intervalRatio({ median: 10, lo: 8, hi: 12, n: 5 }, { median: 20, lo: 16, hi: 24, n: 4 }), { median: 0.5, lo: 8 / 24, hi: 12 / 16, n: 4 });
    assert.ok(intervalRatio({ median: 10, lo: 8, hi: 17, n: 5 }, { median: 20, lo: 16, hi: 24, n: 5 }).hi > 1);
    assert.equal(intervalRatio({ median: 1, lo: 1, hi: 1, n: 1 }, { median: 0, lo: 0, hi: 0, n: 1 }), null);
  });

  it('marks the rounds whose floor fell more than the bound below its median', () => {
    const floor = (values) => values.map((value, round) => ({ round, value }));
    // Median 20: 14.9 is below 0.75 × 20 = 15, 15 is not.
    assert.deepEqual(disturbedRounds([floor([20, 14.9, 21, 15, 20])]), [1]);
    // Either floor marks its round; too few rounds to judge marks nothing.
    assert.deepEqual(disturbedRounds([floor([20, 20, 20, 10]), floor([10, 5, 10, 10])]), [1, 3]);
    assert.deepEqual(disturbedRounds([floor([20, 1])]), []);
  });

  it('replaces each disturbed round while the reruns last, then only leaves marked rounds out', async () => {
    const floorJob = { kind: 'js-call-floor', api: 'v8', callsPerScope: 1000, group: 'throughput', repeats: 5 };
    const jobs = [floorJob, { kind: 'stream', targetName: 'x', scenario: 'unpaced', options: { rate: 0, count: 1 }, group: 'throughput', repeats: 5 }];
    const steps = [];
    for (let round = 0; round < 5; round++) for (const series of [0, 1]) steps.push({ series: [series], round, group: 'throughput' });
    // The floor by round: rounds 1 and 3 (0-based) slow, then the first new round slow too.
    const byRound = [20, 10, 21, 9, 19, 8, 20, 20];
    const ran = [];
    const results = await runJobs({ jobs, steps, groups: [{ group: 'throughput', repeats: 5, reruns: 2 }] }, async (job, round) => {
      ran.push(round);
      return job.kind === 'js-call-floor' ? { callsPerSec: byRound[round] } : { deliveredPerSec: 1 };
    }, () => {});
    // Rounds 1 and 3 marked, two new rounds (5, 6) spend the budget; round 5 is slow: marked, not replaced.
    assert.deepEqual(ran, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    assert.deepEqual(results[0].runs.filter((r) => r.disturbed).map((r) => r.round), [1, 3, 5]);
    assert.deepEqual(results[1].runs.filter((r) => !r.disturbed).map((r) => r.round), [0, 2, 4, 6]);
  });

  it('lists chapter 5\'s targets from the summary, with the busy bound undecided when the ring never filled', () => {
    const rows = [
      { name: '04-tsfn', kind: 'chapter', callback: 'per-item', latencyCI: { p50: { median: 12, lo: 11, hi: 13, n: 5 }, p99: { median: 100, lo: 90, hi: 110, n: 5 } } },
      {
        name: '05-fast-path',
        kind: 'chapter',
        callback: 'per-item',
        latencyCI: { p50: { median: 10, lo: 9, hi: 10.5, n: 5 }, p99: { median: 100, lo: 90, hi: 120, n: 5 } },
        sumEachOverFloorBeside: { median: 1, lo: 0.97, hi: 1.03, n: 5 },
        overStreamBeside: { median: 7, lo: 6, hi: 8, n: 5 },
        // 200 000 items offered at 1 M/s: 0.2 s of sending; delivered at 700 000/s the main thread
        // takes 140 000 of them meanwhile, and the 60 000 left fit in the ring.
        busyRuns: [1, 2, 3].map(() => ({ rssGrowthMiB: 1.5, peakQueueDepth: 60000, dropped: 0, items: 200000, offeredPerSec: 1e6, deliveredPerSec: 7e5 })),
      },
    ];
    const list = targetList({ floor: {}, rows });
    assert.deepEqual(list.map((t) => [t.verdict, t.goalKind, t.goal]), [
      ['met', 'min', 0.95],
      ['met', 'min', 3.5],
      ['met', 'max', 1],
      ['met', 'max', 1.5],
      ['undecided', 'max', 2],
    ]);
    assert.equal(list[2].hi, 10.5 / 11);
    assert.equal(list[4].why, 'in 3 of 3 runs the main thread kept the backlog within the ring: the bound was not reached');
    // Delivered at 300 000/s: 140 000 left after 0.2 s, more than the ring holds, so the producer waited.
    rows[1].busyRuns = [1, 2, 3].map(() => ({ rssGrowthMiB: 1.5, peakQueueDepth: 64604, dropped: 0, items: 200000, offeredPerSec: 1e6, deliveredPerSec: 3e5 }));
    assert.equal(targetList({ floor: {}, rows })[4].verdict, 'met');
    assert.equal(ringBoundReached({ items: 200000, offeredPerSec: 1e6, deliveredPerSec: 6e5 }), true);
    assert.equal(ringBoundReached({ items: 200000, offeredPerSec: 1e6, deliveredPerSec: 7e5 }), false);
    assert.equal(ringBoundReached({ items: 200000, offeredPerSec: 0, deliveredPerSec: 1 }), false);
  });

  it('shows p99.9 only from 10 000 pooled samples, the max below', () => {
    const report = syntheticReport();
    const samples = (n) => Array.from({ length: n }, (_, k) => k + 1);
    report.results.find((r) => r.job.targetName === '01-a' && r.job.scenario === 'latency').runs[0].samplesNs = samples(400);
    report.results.find((r) => r.job.targetName === '02-b' && r.job.scenario === 'latency').runs[0].samplesNs = samples(20000);
    const [a, b] = summarize(report).rows;
    assert.deepEqual(a.latencyTail, { label: 'max', ns: 400, samples: 400 });
    assert.deepEqual(b.latencyTail, { label: 'p99.9', ns: 19980.001, samples: 20000 });
  });

  it('divides a run by the JS-call floor sampled beside it, pair by pair, then takes medians', () => {
    const report = syntheticReport();
    // Pairs of (run, floor) samples. The first process changes speed before the floor's last
    // sample: its bests would say 11 ÷ 17; its pairs 1, 1, 0.9 and 11 ÷ 17, median 0.95. The
    // second runs at 0.9 throughout, the third at 0.8; a fourth kept no floor samples.
    const beside = (rates, floor) => run(Math.max(...rates), { samplesPerSec: rates, ...(floor && { floorBeside: { api: 'node-api', samplesPerSec: floor, callsPerSec: Math.max(...floor) } }) });
    report.results.push(stream('02-b', 'sum-each', { rate: 0 }, [
      beside([10, 10, 9, 11], [10, 10, 10, 17]),
      beside([9, 18], [10, 20]),
      beside([8, 16], [10, 20]),
      beside([30, 30], null),
    ]));
    const b = summarize(report).rows[1];
    assert.deepEqual(b.sumEachOverFloorBeside.byProcess.map((r) => +r.toFixed(3)), [0.95, 0.9, 0.8]);
    assert.equal(+b.sumEachOverFloorBeside.median.toFixed(3), 0.9);
    assert.equal(b.sumEachOverFloorBeside.n, 3);
    assert.equal(summarize(syntheticReport()).rows[1].sumEachOverFloorBeside, null);
    // Another target's stream beside the unpaced run is read the same way.
    const paired = syntheticReport();
    const unpaced = paired.results.find((r) => r.job.targetName === '02-b' && r.job.scenario === 'unpaced');
    unpaced.runs = [[30, 45], [30, 30], [27, 36]].map((rates) => run(Math.max(...rates), { samplesPerSec: rates, streamBeside: { name: '01-a', samplesPerSec: [10, 15] } }));
    assert.deepEqual(summarize(paired).rows[1].overStreamBeside.byProcess, [3, 2.5, 2.55]);
  });

  it('takes chapter 0\'s latency from every finished run, its failed checks included', () => {
    const report = syntheticReport();
    report.targets[0].excluded = 'kept for its bugs';
    const entry = report.results.find((r) => r.job.targetName === '01-a' && r.job.scenario === 'latency');
    entry.runs.push(run(1000, { problems: ['36 items stranded'], samplesNs: [5000, 6000] }), { error: 'crashed' });
    entry.runs[0].samplesNs = [1000, 2000];
    const [a] = summarize(report).rows;
    assert.equal(a.latencyProcesses, 2);
    assert.deepEqual(a.latencySamples, [1000, 2000, 5000, 6000]);
  });
});

describe('harness plan and charts', () => {
  it('runs a target\'s busy run, then its producer counts in a rotated order, in one process a round; chapter 0 alone', () => {
    const { jobs, steps } = plan('quick');
    const producers = steps.filter((step) => step.group === 'producers');
    const name = (step) => jobs[step.series[0]].targetName;
    const tsfn = producers.filter((step) => name(step) === '04-tsfn');
    assert.equal(tsfn.length, SIZES.quick.producerRounds);
    const label = (k) => `${jobs[k].scenario}:${jobs[k].options.producers}`;
    // The busy run leads every time: its memory figure is the process's peak so far.
    assert.deepEqual(tsfn.map((step) => step.series.map(label)), [
      ['busy:undefined', 'producers:1', 'producers:2', 'producers:8', 'stamped:1'],
      ['busy:undefined', 'producers:2', 'producers:8', 'stamped:1', 'producers:1'],
      ['busy:undefined', 'producers:8', 'stamped:1', 'producers:1', 'producers:2'],
    ]);
    const original = producers.filter((step) => name(step) === '00-original');
    const originalSeries = jobs.filter((job) => job.group === 'producers' && job.targetName === '00-original').length;
    assert.ok(originalSeries >= 2);
    assert.equal(original.length, SIZES.quick.producerRounds * originalSeries);
    assert.ok(original.every((step) => step.series.length === 1));
    const sweep = steps.filter((step) => step.group === 'sweep' && name(step) === '05-fast-path');
    assert.deepEqual(sweep.map((step) => step.series.map((k) => jobs[k].options.rate)), [[1e4, 1e5, 1e6]]);
  });

  it('runs a target\'s throughput streams first and its latency run last in every round; the trampoline\'s sum-each alone', () => {
    const { jobs, steps } = plan('quick');
    const throughput = steps.filter((step) => step.group === 'throughput' && jobs[step.series[0]].kind === 'stream');
    const of = (name) => throughput.filter((step) => jobs[step.series[0]].targetName === name).map((step) => step.series.map((k) => jobs[k].scenario));
    const rounds = (list) => Array.from({ length: SIZES.quick.rounds }, () => list);
    assert.deepEqual(of('05-fast-path'), rounds(['unpaced', 'sum-each', 'latency']));
    assert.deepEqual(of('05-fast-path/batch'), rounds(['unpaced', 'batch-sum', 'latency']));
    assert.deepEqual(of('05-fast-path/trampoline'), rounds([['unpaced', 'latency'], ['sum-each']]).flat());
    assert.deepEqual(of('00-original'), rounds(['unpaced']));
    // The runs held to a JS-call floor sample it in their own processes, as many calls as the floor's.
    const beside = jobs.filter((j) => j.floorBeside).map((j) => [j.targetName, j.scenario, j.floorBeside.api, j.floorBeside.calls]);
    assert.deepEqual(beside, [['05-fast-path', 'sum-each', 'node-api', SIZES.quick.floorCalls]]);
    // Per-item mode's unpaced run samples 04-tsfn's stream beside it, with the same options.
    const paired = jobs.filter((j) => j.streamBeside).map((j) => [j.targetName, j.scenario, j.streamBeside.name, j.streamBeside.target.modulePath === jobs.find((k) => k.targetName === '04-tsfn').target.modulePath]);
    assert.deepEqual(paired, [['05-fast-path', 'unpaced', '04-tsfn', true]]);
  });

  it('hands a shared step to one process and files each of its results under its own series', async () => {
    const stream = (producers) => ({ kind: 'stream', targetName: 'x', scenario: 'producers', options: { rate: 0, count: 1, producers }, group: 'producers', repeats: 2, together: 'x' });
    const jobs = [stream(1), stream(2)];
    const steps = [0, 1].map((round) => ({ series: round ? [1, 0] : [0, 1], round, group: 'producers' }));
    const sent = [];
    const results = await runJobs({ jobs, steps, groups: [{ group: 'producers', repeats: 2 }] }, async (job) => {
      sent.push(job);
      return { results: job.jobs.map((j) => ({ deliveredPerSec: j.options.producers * 10 })) };
    }, () => {});
    assert.equal(sent.length, 2);
    assert.deepEqual(sent.map((job) => [job.kind, job.jobs.map((j) => j.options.producers)]), [['together', [1, 2]], ['together', [2, 1]]]);
    assert.ok(sent.every((job) => job.jobs.every((j) => !('together' in j) && !('group' in j))));
    assert.deepEqual(results.map((r) => r.runs.map((run) => [run.round, run.deliveredPerSec])), [[[0, 10], [1, 10]], [[0, 20], [1, 20]]]);
  });

  it('the quick plan interleaves targets and floors, round by round, each floor in 5 processes or more', () => {
    const { jobs, steps } = plan('quick');
    const groups = series('quick');
    // Every series runs once a round, in a step of its own or in its target's shared one.
    assert.equal(steps.reduce((sum, step) => sum + step.series.length, 0), groups.reduce((sum, g) => sum + g.repeats * g.jobs.length, 0));
    for (const g of groups) {
      for (let round = 0; round < g.repeats; round++) {
        const ran = steps.filter((step) => step.group === g.group && step.round === round).flatMap((step) => step.series);
        assert.equal(new Set(ran).size, g.jobs.length, `${g.group} round ${round}`);
      }
    }
    assert.equal(planSummary('quick').processes, steps.length);
    // Round-robin: within a group, every series runs once before any runs again.
    const throughput = groups[0];
    assert.equal(throughput.group, 'throughput');
    // A throughput step is a floor alone, or one target's streams: its unpaced run (with its
    // sum-each or batch-sum run) and its 1 000/s latency run; chapter 0's latency runs apart.
    const throughputSteps = steps.filter((step) => step.group === 'throughput');
    for (const step of throughputSteps) {
      assert.equal(new Set(step.series.map((k) => jobs[k].targetName ?? jobs[k].kind)).size, 1);
    }
    const fast = throughputSteps.find((step) => step.round === 0 && jobs[step.series[0]].targetName === '05-fast-path');
    assert.deepEqual(fast.series.map((k) => jobs[k].scenario).sort(), ['latency', 'sum-each', 'unpaced']);
    assert.ok(!throughputSteps.some((step) => step.series.some((k) => jobs[k].targetName === '00-original' && jobs[k].scenario === 'latency')));
    const perRound = throughputSteps.filter((step) => step.round === 0).length;
    const firstRounds = steps.slice(0, 2 * perRound).map((step) => step.round);
    assert.deepEqual(firstRounds, [...Array(perRound).fill(0), ...Array(perRound).fill(1)]);
    for (const job of jobs.filter((j) => j.scenario === 'floor')) assert.ok(job.repeats >= 5, job.kind);
    const floorKinds = jobs.filter((j) => j.scenario === 'floor').map((j) => `${j.kind}:${j.api ?? j.callback ?? j.floor ?? ''}${j.callsPerScope ? `/${j.callsPerScope}` : ''}`);
    assert.deepEqual(floorKinds, [
      'js-call-floor:node-api/1000',
      'js-call-floor:node-api/1',
      'js-call-floor:v8/1000',
      'js-call-floor:v8/1',
      'js-loop-floor:checks',
      'js-loop-floor:sum',
      'native-floor:ring',
      'uv-ping-pong:',
      'native-floor:eventfdCrossCpu',
      'native-floor:eventfdSameCpu',
      'native-floor:eventfdUnpinned',
    ]);
    const streams = jobs.filter((j) => j.kind === 'stream');
    const names = new Set(streams.map((j) => j.targetName));
    for (const name of names) {
      const mine = streams.filter((j) => j.targetName === name);
      assert.equal(mine.filter((j) => j.scenario === 'latency').length, 1, name);
      assert.equal(mine.filter((j) => j.scenario === 'sweep').length, SIZES.quick.sweep.length, name);
      assert.equal(mine.filter((j) => j.scenario === 'busy').length, 1, name);
    }
    // Chapters get 1, 2, 4 and 8 producers; chapter 0 declares one at most ("maxProducers": 1).
    const producers = (name) => streams.filter((j) => j.targetName === name && j.scenario === 'producers').map((j) => j.options.producers);
    assert.deepEqual(producers('05-fast-path'), [1, 2, 8]);
    assert.deepEqual(producers('00-original'), [1]);
    assert.deepEqual(producers('postMessage per item'), [1, 2]);
    // Every run of a producers row, stamped or not, is of one size; ten times more for the rows
    // that loop over batches.
    for (const name of names) {
      const sizes = new Set(streams.filter((j) => j.targetName === name && (j.scenario === 'producers' || j.scenario === 'stamped')).map((j) => j.options.count));
      assert.equal(sizes.size, 1, name);
    }
    assert.equal(streams.find((j) => j.targetName === '05-fast-path/trampoline' && j.scenario === 'producers').options.count, 10 * SIZES.quick.producerItems);
    // Throughput jobs take best-of-k samples; latency runs take one.
    // (Chapter 0 aside: its global state outlives a stream, so it runs one per process.)
    const throughputJobs = jobs.filter((j) => j.group === 'throughput' && j.kind !== 'uv-ping-pong' && j.scenario !== 'latency');
    assert.ok(throughputJobs.filter((j) => j.kind === 'stream' && j.targetName !== '00-original').every((j) => j.samples === SIZES.quick.samples));
    // The JS floors take a sample on each CPU at least, pinned in turn.
    const jsFloors = throughputJobs.filter((j) => j.kind === 'js-call-floor' || j.kind === 'js-loop-floor');
    assert.equal(jsFloors.length, 6);
    const cpus = Math.min(require('node:os').cpus().length, PINNED_CPUS);
    assert.ok(jsFloors.every((j) => j.pinSamples === true && j.samples === Math.max(SIZES.quick.samples, cpus)));
    assert.equal(throughputJobs.find((j) => j.targetName === '00-original').samples, 1);
    // The throughput streams also take a sample in each pinned arrangement; no other stream does.
    const arranged = throughputJobs.filter((j) => j.kind === 'stream' && j.targetName !== '00-original');
    assert.deepEqual([...new Set(arranged.map((j) => j.scenario))].sort(), ['batch-sum', 'sum-each', 'unpaced']);
    assert.ok(arranged.every((j) => j.pinArrangements === cpus));
    assert.ok(jobs.filter((j) => j.pinArrangements !== undefined).every((j) => arranged.includes(j)));
    assert.ok(streams.filter((j) => j.scenario === 'latency').every((j) => j.samples === undefined));
    // A variant declared "bench": false (chapter 5's tiny rings) is tested, not measured.
    assert.ok(!names.has('05-fast-path/tiny-rings'));
    // Chapter 5's batch variant is measured twice: batch callback, and its module batch.js with a
    // per-item callback (the trampoline).
    const batchTargets = new Set(streams.filter((j) => j.target.callback === 'batch').map((j) => j.targetName));
    assert.deepEqual([...batchTargets], ['05-fast-path/batch']);
    const trampoline = streams.find((j) => j.targetName === '05-fast-path/trampoline');
    assert.match(trampoline.target.modulePath, /05-fast-path[\\/]batch\.js$/);
    assert.equal(trampoline.target.callback, 'per-item');
    const batchSum = streams.filter((j) => j.scenario === 'batch-sum');
    assert.deepEqual(batchSum.map((j) => [j.targetName, j.checks, j.target.startOptions]), [['05-fast-path/batch', 'sum', { batch: true }]]);
    // Latency runs keep every sample, for the CDF and the intervals.
    assert.ok(streams.filter((j) => j.scenario === 'latency').every((j) => j.keepSamples));
  });

  it('renders a chart to SVG without a browser', async () => {
    const rows = summarize(syntheticReport()).rows;
    const svg = await charts.render(charts.sweepChart(rows, 'delivered', 'title', 'items/s'));
    assert.match(svg, /^<svg/);
    assert.match(svg, /02-b/);
    assert.match(await charts.render(charts.shareOfFloorChart(rows)), /^<svg/);
    assert.match(await charts.render(charts.latencyCdf(rows.map((r) => ({ ...r, latencySamples: [1000, 2000, 3000] })), { latencyFloors: {} })), /^<svg/);
    // The CDF's percentile axis is in nines: p50, p90, p99 and p99.9 evenly spaced.
    assert.equal(charts.nines(90, 1000), 1);
    assert.equal(+charts.nines(99.9, 1000).toFixed(12), 3);
    assert.equal(charts.nines(100, 400), Math.log10(400));
  });

  it('gives every series its own colour, and draws the CDF from every sample', () => {
    const names = Array.from({ length: 20 }, (_, k) => `0${k % 6}-x${k}`);
    const { color } = charts.seriesScales(names);
    assert.equal(new Set(color.scale.range).size, 20);
    const points = charts.cdfPoints(Array.from({ length: 1000 }, (_, k) => k + 1));
    assert.deepEqual(points[0], [0, 1]);
    assert.deepEqual(points.find(([p]) => p === 50), [50, 500]);
    assert.deepEqual(points.at(-1), [100, 1000]);
    assert.ok(points.length > 200);
  });
});
