'use strict';
// Pages that cannot rot: every excerpt in a page equals the source between its named markers,
// every figure the prose quotes equals its named value, every shown command names what exists.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { it, after } = require('node:test');
const { check, defaultPages, commandProblems, codeLines } = require('../docs/tools/excerpts');

const ROOT = path.join(__dirname, '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'excerpts-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

for (const page of defaultPages()) {
  const name = path.relative(path.join(__dirname, '..'), page);
  it(`${name}: every excerpt, figure and command matches its source`, () => {
    assert.deepEqual(check([page]), []);
  });
}

it('the docs check fails on an edited excerpt and on a missing marker', () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'excerpt-'));
  fs.writeFileSync(path.join(dir, 'a.cc'), '// excerpt-begin: f\nint f() { return 1; }\n// excerpt-end: f\n');
  const good = '<!-- excerpt: a.cc#f -->\n```cpp\nint f() { return 1; }\n```\n<!-- end -->\n';
  fs.writeFileSync(path.join(dir, 'good.md'), good);
  fs.writeFileSync(path.join(dir, 'stale.md'), good.replace('return 1', 'return 2'));
  fs.writeFileSync(path.join(dir, 'missing.md'), good.replace('#f', '#g'));
  assert.deepEqual(check([path.join(dir, 'good.md')]), []);
  assert.match(check([path.join(dir, 'stale.md')])[0], /differs/);
  assert.match(check([path.join(dir, 'missing.md')])[0], /no marker pair 'excerpt-begin\/end: g'/);
});

it('the docs check fails on a figure that differs from its output or result file', () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'values-'));
  fs.writeFileSync(path.join(dir, 'r.json'), JSON.stringify({ rows: [{ name: 'a', rate: 1 }, { name: 'b', rate: 4.13 }] }));
  const where = `Commands on this page run from \`${path.relative(ROOT, dir)}/\`.\n`;
  const page = (rate, json) =>
    where +
    '<!-- output: echo typed 4.13 -->\n```text\n$ echo typed 4.13\ntyped 4.13\n```\n<!-- end -->\n' +
    '<!-- values:\nrate = /typed\\s+([\\d.]+)/\nfromJson = r.json#rows[name=b].rate\n-->\n' +
    `It ran at <!-- value: rate -->${rate}<!-- end --> M items/s, <!-- value: fromJson -->${json}<!-- end -->.\n`;
  fs.writeFileSync(path.join(dir, 'good.md'), page('4.13', '4.13'));
  fs.writeFileSync(path.join(dir, 'typed.md'), page('4.5', '4.13'));
  fs.writeFileSync(path.join(dir, 'json.md'), page('4.13', '4'));
  fs.writeFileSync(path.join(dir, 'undefined.md'), 'It ran at <!-- value: speed -->4<!-- end -->.\n');
  assert.deepEqual(check([path.join(dir, 'good.md')]), []);
  assert.match(check([path.join(dir, 'typed.md')])[0], /value rate reads '4\.5', its source says '4\.13'/);
  assert.match(check([path.join(dir, 'json.md')])[0], /value fromJson reads '4', its source says '4\.13'/);
  assert.match(check([path.join(dir, 'undefined.md')])[0], /value speed is used but not defined/);
});

it('the docs check fails on a shown command whose file or make target is missing', () => {
  const chapter = path.join(ROOT, 'chapters', '00-original');
  assert.deepEqual(commandProblems('node experiments/bugs.js', chapter), []);
  assert.deepEqual(commandProblems('make -C ../.. chapter0', chapter), []);
  assert.deepEqual(commandProblems('flock /tmp/x.lock node demo.js', chapter), []);
  assert.deepEqual(commandProblems('g++ -O2 race/race.cc -o /tmp/race && /tmp/race', chapter), []);
  assert.match(commandProblems('node experiments/nothing.js', chapter)[0], /script experiments\/nothing\.js does not exist from chapters\/00-original\//);
  assert.match(commandProblems('make chapter0', chapter)[0], /no Makefile in chapters\/00-original\//);
  assert.match(commandProblems('make -C ../.. nothing', chapter)[0], /make has no target nothing/);
  assert.match(commandProblems('node demo.js /tmp/no/such/copy', chapter)[0], /file \/tmp\/no\/such\/copy does not exist/);
  const dir = fs.mkdtempSync(path.join(scratch, 'where-'));
  fs.writeFileSync(path.join(dir, 'page.md'), '```sh\nnode demo.js\n```\n');
  assert.match(check([path.join(dir, 'page.md')])[0], /shows commands but does not say where they run/);
});

// A recipe is the smallest correct version of its chapter's mechanism, and stays so: its C++ has
// at most this many code lines (not blank, not only a comment; docs/tools/excerpts.js counts
// them). Chapter 5's ring and its sleep handshake get more.
const RECIPE_BUDGET = 130;
const RECIPE_BUDGETS = { '05-fast-path/recipe': 165 };

it('every recipe stays within its budget of C++ lines', () => {
  const chapters = path.join(ROOT, 'chapters');
  const over = [];
  for (const chapter of fs.readdirSync(chapters).filter((name) => /^\d\d-/.test(name))) {
    for (const recipe of fs.readdirSync(path.join(chapters, chapter)).filter((n) => n.startsWith('recipe'))) {
      const name = `${chapter}/${recipe}`;
      const dir = path.join(chapters, name);
      const lines = fs
        .readdirSync(dir)
        .filter((file) => /\.(cc|h)$/.test(file))
        .reduce((sum, file) => sum + codeLines(path.join(dir, file)), 0);
      const budget = RECIPE_BUDGETS[name] ?? RECIPE_BUDGET;
      if (lines > budget) over.push(`${name}: ${lines} C++ lines, over its budget of ${budget}`);
    }
  }
  assert.deepEqual(over, []);
});
