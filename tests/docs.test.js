'use strict';
// Pages that cannot rot: every excerpt in a page equals the source between its named markers.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { it } = require('node:test');
const { check, defaultPages } = require('../docs/tools/excerpts');

for (const page of defaultPages()) {
  const name = path.relative(path.join(__dirname, '..'), page);
  it(`${name}: every excerpt matches its source`, () => {
    assert.deepEqual(check([page]), []);
  });
}

it('the docs check fails on an edited excerpt and on a missing marker', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'excerpts-'));
  fs.writeFileSync(path.join(dir, 'a.cc'), '// excerpt-begin: f\nint f() { return 1; }\n// excerpt-end: f\n');
  const good = '<!-- excerpt: a.cc#f -->\n```cpp\nint f() { return 1; }\n```\n<!-- end -->\n';
  fs.writeFileSync(path.join(dir, 'good.md'), good);
  fs.writeFileSync(path.join(dir, 'stale.md'), good.replace('return 1', 'return 2'));
  fs.writeFileSync(path.join(dir, 'missing.md'), good.replace('#f', '#g'));
  assert.deepEqual(check([path.join(dir, 'good.md')]), []);
  assert.match(check([path.join(dir, 'stale.md')])[0], /differs/);
  assert.match(check([path.join(dir, 'missing.md')])[0], /no marker pair 'excerpt-begin\/end: g'/);
});
