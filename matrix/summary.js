'use strict';
// What docs/portability.md (matrix/page.js) and the report's cross-runtime section
// (bench/report.js) both read from matrix/results.json: a runtime's name and one cell's text.

// A runtime of another architecture than x86-64 (arm64, run through qemu-user) says which.
const label = (r) =>
  (r.runtime === 'node'
    ? `Node ${r.version.replace(/^v/, '')}`
    : `${r.runtime === 'bun' ? 'Bun' : 'Deno'} ${r.version}`) + (r.arch && r.arch !== 'x64' ? ` ${r.arch}` : '');

// Every chapter and variant the matrix ran, sorted.
const targetsOf = (results) =>
  [...new Set(Object.keys(results.cells).map((key) => key.split('|')[0]))].sort();

// "passed/run", with known failures and crashes, or why it was not run. `notes`: the page's
// footnote marks (¹ a refusal decided before loading, ² a known failure).
function cellText(results, target, runtime, { notes = true } = {}) {
  const cell = results.cells[`${target}|${runtime.id}`];
  if (!cell) return 'not run';
  if (cell.refused) return notes ? 'refuses to load¹' : 'refuses to load';
  const total = cell.passed + cell.failed + (cell.known ?? 0);
  let text = `${cell.passed}/${total}`;
  if (cell.known) text += ` (${cell.known} known${notes ? '²' : ''})`;
  return cell.crashed ? `${text}, ${cell.crashed} crashed` : text;
}

module.exports = { label, targetsOf, cellText };
