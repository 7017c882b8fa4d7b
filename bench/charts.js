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

function base(title, values) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 560,
    height: 300,
    data: { values },
    config: { font: 'sans-serif', legend: { labelLimit: 260 } },
  };
}

function latencyCdf(rows) {
  const values = rows.flatMap((r) =>
    (r.latency?.cdf ?? []).map(([percentile, ns]) => ({ target: r.name, percentile, us: Math.max(ns / 1000, 0.1) })),
  );
  return {
    ...base('Send→callback latency at 1 000 items/s (CDF)', values),
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'latency (µs, log)' },
      y: { field: 'percentile', type: 'quantitative', title: 'percentile', scale: { domain: [0, 100] } },
      color: { field: 'target', type: 'nominal' },
    },
  };
}

function sweepChart(rows, field, title, yTitle) {
  const values = rows.flatMap((r) =>
    r.sweep.map((p) => ({ target: r.name, offered: rateLabel(p.rate), value: Math.max(p[field], 1e-3) })),
  );
  return {
    ...base(title, values),
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'offered', type: 'ordinal', sort: RATE_ORDER, title: 'offered rate' },
      y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: yTitle },
      color: { field: 'target', type: 'nominal' },
    },
  };
}

async function render(spec) {
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

async function writeAll(dir, { rows }) {
  const specs = {
    'latency-cdf.svg': latencyCdf(rows.filter((r) => r.latency)),
    'delivered-vs-offered.svg': sweepChart(rows, 'delivered', 'Delivered vs offered rate', 'delivered items/s (log)'),
    'items-per-wakeup.svg': sweepChart(rows, 'meanItemsPerWakeup', 'Items per wake-up vs offered rate', 'items per wake-up (log)'),
  };
  for (const [file, spec] of Object.entries(specs)) {
    fs.writeFileSync(path.join(dir, file), await render(spec));
  }
}

module.exports = { writeAll, render, latencyCdf, sweepChart, rateLabel };
