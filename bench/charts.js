'use strict';
// The report's charts: vega-lite specs rendered to SVG in plain Node (no browser, no canvas).
// vega and vega-lite are ESM-only, hence the dynamic import.
const fs = require('node:fs');
const path = require('node:path');

const RATE_ORDER = ['1k/s', '10k/s', '100k/s', '1M/s', 'unpaced'];

function rateLabel(rate) {
  if (rate === 0) return 'unpaced';
  return rate >= 1e6 ? `${rate / 1e6}M/s` : `${rate / 1000}k/s`;
}

// Every series its own colour (20 distinct ones: no two series share one) and, within a chapter
// family, its own dash; the charts with many series are faceted by family as well.
const PALETTE = [
  '#0067a5', '#be0032', '#008856', '#f38400', '#875692', '#882d17', '#e68fac', '#2b3d26', '#8db600',
  '#654522', '#a1caf1', '#e25822', '#604e97', '#c2b280', '#b3446c', '#848482', '#f6a600', '#00b4b4',
  '#000000', '#dcd300',
];
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3]];

function family(name) {
  if (/^0[0-2]-/.test(name)) return 'chapters 0–2: a uv_async_t of their own';
  if (/^0\d-/.test(name)) return `chapter ${Number(name.slice(0, 2))}`;
  return 'JS only (no addon)';
}

// The colour and dash scales, from the targets in report order.
function seriesScales(names) {
  const families = new Map();
  const dashes = names.map((name) => {
    const f = family(name);
    const k = families.get(f) ?? 0;
    families.set(f, k + 1);
    return DASHES[k % DASHES.length];
  });
  return {
    color: { field: 'target', type: 'nominal', scale: { domain: names, range: names.map((_, k) => PALETTE[k % PALETTE.length]) }, legend: { columns: 2, symbolType: 'stroke', symbolStrokeWidth: 3 } },
    strokeDash: { field: 'target', type: 'nominal', scale: { domain: names, range: dashes }, legend: null },
  };
}

function base(title, values) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    config: { font: 'sans-serif', legend: { labelLimit: 360, orient: 'bottom' }, background: 'white' },
  };
}

// Quantiles of sorted samples at a fine grid: every 0.5% up to 99%, then every 0.1% to 99.9%, then
// every 0.01% and the maximum: the samples' own resolution, not a histogram's log buckets.
function cdfPoints(sorted) {
  const grid = [];
  for (let p = 0; p <= 99; p += 0.5) grid.push(p);
  for (let p = 99.1; p < 99.9; p += 0.1) grid.push(+p.toFixed(1));
  for (let p = 99.9; p < 100; p += 0.01) grid.push(+p.toFixed(2));
  grid.push(100);
  const points = [];
  for (const p of grid) {
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    points.push([p, sorted[index]]);
  }
  return points;
}

// Percentiles on a tail-friendly axis: "nines", -log10(1 - p), so that p50, p90, p99 and p99.9 are
// evenly spaced (0.3, 1, 2, 3). The last sample (p100) is drawn at log10(samples), where it would
// sit if it were the next quantile.
function nines(percentile, samples) {
  if (percentile >= 100) return Math.log10(Math.max(samples, 2));
  return -Math.log10(1 - percentile / 100);
}
const NINES_AXIS = {
  values: [nines(50), nines(90), nines(99), nines(99.9)],
  labelExpr: "datum.value < 0.5 ? 'p50' : datum.value < 1.5 ? 'p90' : datum.value < 2.5 ? 'p99' : 'p99.9'",
  labelOverlap: false,
};

// The latency CDF, faceted by chapter family, every sample of every process pooled (chapter 0's
// too, its failed runs included); the floors (same-CPU and cross-CPU eventfd p50) as vertical
// reference lines in every facet. The percentile axis is in nines (see above), so the tail shows.
function latencyCdf(rows, floor = {}) {
  const names = rows.map((r) => r.name);
  const values = rows.flatMap((r) => {
    const samples = r.latencySamples?.length ?? r.latency?.count ?? 1;
    const points = r.latencySamples?.length ? cdfPoints(r.latencySamples) : r.latency?.cdf ?? [];
    // Percentiles beyond what the samples resolve repeat the max: drawn once, at the max's place.
    const shown = points.filter(([percentile]) => percentile < 100 - 100 / samples || percentile === 100);
    return shown.map(([percentile, ns]) => ({ target: r.name, family: family(r.name), nines: nines(percentile, samples), us: Math.max(ns / 1000, 0.1) }));
  });
  const lf = floor.latencyFloors ?? {};
  const references = [
    ['same-CPU eventfd p50', lf.sameCpu?.p50?.median],
    ['cross-CPU eventfd p50', lf.crossCpu?.p50?.median],
  ].filter(([, ns]) => Number.isFinite(ns));
  const families = [...new Set(rows.map((r) => family(r.name)))];
  const rules = families.flatMap((f) => references.map(([label, ns], k) => ({ family: f, floor: label, us: ns / 1000, labelAt: 4 - 0.35 * k })));
  const scales = seriesScales(names);
  const all = [...values.map((v) => v.us), ...rules.map((v) => v.us)];
  const domain = all.length ? [Math.min(...all) * 0.9, Math.max(...all) * 1.1] : undefined;
  const x = { field: 'us', type: 'quantitative', scale: { type: 'log', domain, nice: false }, title: 'send→callback latency (µs, log)' };
  return {
    ...base('Send→callback latency at 1 000 items/s, every sample of every process (dotted: floors)', []),
    data: { values: [...values.map((v) => ({ ...v, layer: 'cdf' })), ...rules.map((v) => ({ ...v, layer: 'floor' }))] },
    facet: { field: 'family', type: 'nominal', title: null, sort: families, header: { labelFontWeight: 'bold', labelFontSize: 12 } },
    columns: 2,
    spec: {
      width: 330,
      height: 190,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'cdf'" }],
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'nines', type: 'quantitative', title: 'percentile (tail-stretched: 1 − p, log)', axis: NINES_AXIS, scale: { domain: [0, 4] } },
            color: scales.color,
            strokeDash: scales.strokeDash,
          },
        },
        {
          transform: [{ filter: "datum.layer === 'floor'" }],
          mark: { type: 'rule', strokeDash: [2, 2], color: '#555' },
          encoding: { x },
        },
        {
          transform: [{ filter: "datum.layer === 'floor'" }],
          mark: { type: 'text', align: 'left', dx: 3, fontSize: 9, color: '#555', baseline: 'top', angle: 0 },
          encoding: { x, y: { field: 'labelAt', type: 'quantitative' }, text: { field: 'floor' } },
        },
      ],
    },
    resolve: { scale: { x: 'shared' } },
  };
}

// One panel per chapter family, wrapping; paced rates only, on a log axis, with the line y = x
// (everything offered is delivered). The unpaced runs are not a rate and are left to the tables.
function sweepChart(rows, field, title, yTitle, { identity = false } = {}) {
  const names = rows.map((r) => r.name);
  const values = rows.flatMap((r) =>
    r.sweep.filter((p) => p.rate > 0).map((p) => ({ target: r.name, family: family(r.name), offered: p.rate, value: Math.max(p[field], 1e-3) })),
  );
  const families = [...new Set(rows.map((r) => family(r.name)))];
  const rates = [...new Set(values.map((v) => v.offered))].sort((a, b) => a - b);
  const scales = seriesScales(names);
  const x = { field: 'offered', type: 'quantitative', scale: { type: 'log' }, title: 'offered items/s (log; unpaced: see the tables)', axis: { values: rates, format: '~s' } };
  const layers = [
    {
      transform: [{ filter: "datum.layer === 'run'" }],
      mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: yTitle, axis: { format: '~s' } },
        color: scales.color,
        strokeDash: scales.strokeDash,
      },
    },
  ];
  const identityValues = identity ? families.flatMap((f) => rates.map((rate) => ({ family: f, offered: rate, value: rate, layer: 'identity' }))) : [];
  if (identity) {
    layers.unshift({
      transform: [{ filter: "datum.layer === 'identity'" }],
      mark: { type: 'line', color: '#999', strokeDash: [3, 3], strokeWidth: 1 },
      encoding: { x, y: { field: 'value', type: 'quantitative' } },
    });
  }
  return {
    ...base(title, []),
    data: { values: [...values.map((v) => ({ ...v, layer: 'run' })), ...identityValues] },
    facet: { field: 'family', type: 'nominal', title: null, sort: families, header: { labelFontWeight: 'bold', labelFontSize: 12 } },
    columns: 3,
    spec: { width: 230, height: 170, layer: layers },
    resolve: { scale: { x: 'shared', y: 'shared' } },
  };
}

// Throughput as a share of the floor that bounds it: median and 95% interval per target, one
// panel per floor (each panel's own scale, its 100% line labelled with the floor's name).
function shareOfFloorChart(rows) {
  const values = rows
    .filter((r) => r.bound?.share && Number.isFinite(r.bound.share.median))
    .map((r) => ({ target: r.name, floor: r.bound.name + (r.bound.figure === 'batchSum' ? ' (batch-sum run)' : ''), share: r.bound.share.median, lo: r.bound.share.lo, hi: r.bound.share.hi }));
  const floors = [...new Set(values.map((v) => v.floor))];
  const y = { field: 'target', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } };
  const xTitle = 'share of the floor (best processes, 95% interval)';
  return {
    ...base('Unpaced throughput as a share of the floor that bounds it', []),
    vconcat: floors.map((name) => ({
      title: { text: name, anchor: 'start', fontSize: 12 },
      data: { values: values.filter((v) => v.floor === name).map((v) => ({ ...v, one: 1 })) },
      width: 420,
      height: { step: 18 },
      layer: [
        { mark: { type: 'bar', opacity: 0.75, color: '#0067a5' }, encoding: { y, x: { field: 'share', type: 'quantitative', axis: { format: '.0%' }, title: xTitle } } },
        { mark: { type: 'errorbar', ticks: true, color: 'black' }, encoding: { y, x: { field: 'lo', type: 'quantitative', title: xTitle }, x2: { field: 'hi' } } },
        { mark: { type: 'rule', strokeDash: [4, 2], color: '#be0032' }, encoding: { x: { aggregate: 'max', field: 'one', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 3, dy: -4, baseline: 'bottom', color: '#be0032', fontSize: 10, text: '100% = the floor' }, encoding: { x: { aggregate: 'max', field: 'one', type: 'quantitative' }, y: { value: 0 } } },
      ],
    })),
    resolve: { scale: { x: 'independent' } },
  };
}

async function render(spec) {
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

async function writeAll(dir, { rows, floor }) {
  const specs = {
    'latency-cdf.svg': latencyCdf(rows.filter((r) => r.latencySamples?.length || r.latency), floor),
    'delivered-vs-offered.svg': sweepChart(rows, 'delivered', 'Delivered vs offered rate, one process per rate (dashed grey: delivered = offered)', 'delivered items/s (log)', { identity: true }),
    'items-per-wakeup.svg': sweepChart(rows, 'meanItemsPerWakeup', 'Items per wake-up vs offered rate, one process per rate', 'items per wake-up (log)'),
    'share-of-floor.svg': shareOfFloorChart(rows),
  };
  for (const [file, spec] of Object.entries(specs)) {
    fs.writeFileSync(path.join(dir, file), await render(spec));
  }
}

module.exports = { writeAll, render, latencyCdf, sweepChart, shareOfFloorChart, cdfPoints, nines, family, seriesScales, rateLabel, PALETTE };
