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

// The latency CDF, faceted by chapter family, every sample of every process pooled; the floors
// (same-CPU and cross-CPU eventfd p50) as vertical reference lines in every facet.
function latencyCdf(rows, floor = {}) {
  const names = rows.map((r) => r.name);
  const values = rows.flatMap((r) => {
    const points = r.latencySamples?.length ? cdfPoints(r.latencySamples) : r.latency?.cdf ?? [];
    return points.map(([percentile, ns]) => ({ target: r.name, family: family(r.name), percentile, us: Math.max(ns / 1000, 0.1) }));
  });
  const lf = floor.latencyFloors ?? {};
  const references = [
    ['same-CPU eventfd p50', lf.sameCpu?.p50?.median],
    ['cross-CPU eventfd p50', lf.crossCpu?.p50?.median],
  ].filter(([, ns]) => Number.isFinite(ns));
  const families = [...new Set(rows.map((r) => family(r.name)))];
  const rules = families.flatMap((f) => references.map(([label, ns]) => ({ family: f, floor: label, us: ns / 1000 })));
  const scales = seriesScales(names);
  const x = { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'send→callback latency (µs, log)' };
  return {
    ...base('Send→callback latency at 1 000 items/s (CDF; dotted: floors)', { values: [] }),
    data: { values: [...values.map((v) => ({ ...v, layer: 'cdf' })), ...rules.map((v) => ({ ...v, layer: 'floor' }))] },
    facet: { row: { field: 'family', type: 'nominal', title: null, sort: families, header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' } } },
    spec: {
      width: 620,
      height: 170,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'cdf'" }],
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'percentile', type: 'quantitative', title: 'percentile', scale: { domain: [0, 100] } },
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
          mark: { type: 'text', align: 'left', dx: 3, dy: -4, fontSize: 9, color: '#555', baseline: 'bottom', angle: 0 },
          encoding: { x, y: { datum: 100, type: 'quantitative' }, text: { field: 'floor' } },
        },
      ],
    },
    resolve: { scale: { x: 'shared' } },
  };
}

function sweepChart(rows, field, title, yTitle) {
  const names = rows.map((r) => r.name);
  const values = rows.flatMap((r) =>
    r.sweep.map((p) => ({ target: r.name, family: family(r.name), offered: rateLabel(p.rate), value: Math.max(p[field], 1e-3) })),
  );
  const families = [...new Set(rows.map((r) => family(r.name)))];
  const scales = seriesScales(names);
  return {
    ...base(title, values),
    facet: { field: 'family', type: 'nominal', title: null, sort: families, columns: 3 },
    spec: {
      width: 220,
      height: 170,
      mark: { type: 'line', point: { filled: true, size: 30 }, strokeWidth: 2 },
      encoding: {
        x: { field: 'offered', type: 'ordinal', sort: RATE_ORDER, title: 'offered rate' },
        y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: yTitle },
        color: scales.color,
        strokeDash: scales.strokeDash,
      },
    },
  };
}

// Throughput as a share of the floor that bounds it: median and 95% interval per target.
function shareOfFloorChart(rows) {
  const values = rows
    .filter((r) => r.bound?.share && Number.isFinite(r.bound.share.median))
    .map((r) => ({ target: r.name, floor: r.bound.name, share: r.bound.share.median, lo: r.bound.share.lo, hi: r.bound.share.hi }));
  const y = { field: 'target', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } };
  return {
    ...base('Unpaced throughput as a share of its bounding floor (median, 95% interval)', values),
    width: 420,
    height: { step: 18 },
    layer: [
      {
        mark: { type: 'bar', opacity: 0.75 },
        encoding: {
          y,
          x: { field: 'share', type: 'quantitative', axis: { format: '.0%' }, title: 'share of the bounding floor' },
          color: { field: 'floor', type: 'nominal', title: 'bounding floor', scale: { range: PALETTE.slice(0, 6) } },
        },
      },
      { mark: { type: 'errorbar', ticks: true, color: 'black' }, encoding: { y, x: { field: 'lo', type: 'quantitative', title: 'share of the bounding floor' }, x2: { field: 'hi' } } },
      { data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [4, 2] }, encoding: { x: { field: 'one', type: 'quantitative' } } },
    ],
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
    'delivered-vs-offered.svg': sweepChart(rows, 'delivered', 'Delivered vs offered rate', 'delivered items/s (log)'),
    'items-per-wakeup.svg': sweepChart(rows, 'meanItemsPerWakeup', 'Items per wake-up vs offered rate', 'items per wake-up (log)'),
    'share-of-floor.svg': shareOfFloorChart(rows),
  };
  for (const [file, spec] of Object.entries(specs)) {
    fs.writeFileSync(path.join(dir, file), await render(spec));
  }
}

module.exports = { writeAll, render, latencyCdf, sweepChart, shareOfFloorChart, cdfPoints, family, seriesScales, rateLabel, PALETTE };
