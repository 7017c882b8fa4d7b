'use strict';
// Pages that cannot rot. A page quotes real source through named markers, never line ranges:
//
//   in the source:  // excerpt-begin: callback   …code…   // excerpt-end: callback
//   in the page:    <!-- excerpt: texample.cc#callback -->
//                   ```cpp
//                   …filled in by `make docs`…
//                   ```
//                   <!-- end -->
//
// and shows output captured from a real run:
//
//   <!-- output: node demo.js -->  ```text …filled in by `make docs`… ```  <!-- end -->
//
// and a table of each chapter's lines of code, counted here rather than typed:
//
//   <!-- loc: chapters -->  …table filled in by `make docs`…  <!-- end -->
//
// Paths and commands are relative to the page's folder.
//   node docs/tools/excerpts.js update [page.md …]   regenerate excerpts and outputs
//   node docs/tools/excerpts.js check [page.md …]    exit 1 if an excerpt differs or is missing
const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const BLOCK = /<!-- (excerpt|output|loc): (.+?) -->\n[\s\S]*?<!-- end -->/g;
const LANGUAGES = { '.cc': 'cpp', '.h': 'cpp', '.js': 'js', '.gyp': 'json', '.json': 'json' };

function defaultPages() {
  const chapters = path.join(ROOT, 'chapters');
  const pages = fs
    .readdirSync(chapters)
    .map((folder) => path.join(chapters, folder, 'README.md'))
    .filter((page) => fs.existsSync(page));
  const docs = path.join(ROOT, 'docs');
  for (const name of fs.readdirSync(docs)) if (name.endsWith('.md')) pages.push(path.join(docs, name));
  return [path.join(ROOT, 'README.md'), ...pages];
}

// The lines between the named markers, without nested markers, dedented. Throws if missing.
function cutExcerpt(file, name) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const begin = lines.findIndex((line) => line.trim().endsWith(`excerpt-begin: ${name}`));
  const end = lines.findIndex((line) => line.trim().endsWith(`excerpt-end: ${name}`));
  if (begin < 0 || end < begin) {
    throw new Error(`${path.relative(ROOT, file)} has no marker pair 'excerpt-begin/end: ${name}'`);
  }
  const body = lines.slice(begin + 1, end).filter((line) => !/excerpt-(begin|end): /.test(line));
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length));
  return body.map((line) => line.slice(indent)).join('\n');
}

function excerptBlock(pageDir, reference) {
  const [file, name] = reference.split('#');
  const source = path.join(pageDir, file);
  if (!fs.existsSync(source)) throw new Error(`${reference}: no file ${source}`);
  const language = LANGUAGES[path.extname(file)] ?? '';
  const code = cutExcerpt(source, name);
  return `<!-- excerpt: ${reference} -->\n\`\`\`${language}\n${code}\n\`\`\`\n<!-- end -->`;
}

function outputBlock(pageDir, command) {
  const output = execSync(command, { cwd: pageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return `<!-- output: ${command} -->\n\`\`\`text\n$ ${command}\n${output.trimEnd()}\n\`\`\`\n<!-- end -->`;
}

// Lines that are code: not blank, not only a comment. Good enough for C++ and JS as written here.
function codeLines(file) {
  let inBlockComment = false;
  let count = 0;
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (inBlockComment) {
      inBlockComment = !line.includes('*/');
      continue;
    }
    if (line.startsWith('/*')) {
      inBlockComment = !line.includes('*/');
      continue;
    }
    if (line === '' || line.startsWith('//') || line.startsWith('#!')) continue;
    count++;
  }
  return count;
}

// The chapter's own source: what a reader opens in that folder, less the demo and experiments.
function chapterSources(dir) {
  return fs
    .readdirSync(dir)
    .filter((name) => /\.(cc|h|js)$/.test(name) && name !== 'demo.js')
    .map((name) => path.join(dir, name));
}

function locBlock() {
  const chaptersDir = path.join(ROOT, 'chapters');
  const rows = fs
    .readdirSync(chaptersDir)
    .filter((folder) => /^\d\d-/.test(folder))
    .sort()
    .map((folder) => {
      const files = chapterSources(path.join(chaptersDir, folder));
      const sum = (pattern) => files.filter((f) => pattern.test(f)).reduce((n, f) => n + codeLines(f), 0);
      return `| ${folder} | ${sum(/\.(cc|h)$/)} | ${sum(/\.js$/)} | ${files.map((f) => path.basename(f)).join(', ')} |`;
    });
  const common = fs.readdirSync(path.join(ROOT, 'common')).filter((name) => /\.(h|js)$/.test(name));
  const commonLines = common.reduce((n, name) => n + codeLines(path.join(ROOT, 'common', name)), 0);
  const table = [
    '| chapter | C++ lines | JS lines | files |',
    '| --- | --- | --- | --- |',
    ...rows,
    `| common/ (shared by all) | ${commonLines} | | ${common.join(', ')} |`,
  ].join('\n');
  return `<!-- loc: chapters -->\n${table}\n\nLines of code, not blank and not only a comment, counted by \`docs/tools/excerpts.js\`; the demo and experiments are left out.\n<!-- end -->`;
}

// Returns the page with every excerpt (and, when runOutputs, every output) regenerated.
function render(page, { runOutputs }) {
  const pageDir = path.dirname(page);
  const text = fs.readFileSync(page, 'utf8');
  return text.replace(BLOCK, (block, kind, argument) => {
    if (kind === 'excerpt') return excerptBlock(pageDir, argument);
    if (kind === 'loc') return locBlock();
    return runOutputs ? outputBlock(pageDir, argument) : block;
  });
}

function check(pages) {
  const problems = [];
  for (const page of pages) {
    try {
      if (render(page, { runOutputs: false }) !== fs.readFileSync(page, 'utf8')) {
        problems.push(`${path.relative(ROOT, page)}: an excerpt differs from its source (run make docs)`);
      }
    } catch (error) {
      problems.push(`${path.relative(ROOT, page)}: ${error.message}`);
    }
  }
  return problems;
}

function main() {
  const [command, ...rest] = process.argv.slice(2);
  const pages = rest.length ? rest.map((page) => path.resolve(page)) : defaultPages();
  if (command === 'update') {
    for (const page of pages) fs.writeFileSync(page, render(page, { runOutputs: true }));
  } else if (command === 'check') {
    const problems = check(pages);
    for (const problem of problems) console.error(problem);
    process.exit(problems.length ? 1 : 0);
  } else {
    console.error('usage: node docs/tools/excerpts.js update|check [page.md …]');
    process.exit(2);
  }
}

if (require.main === module) main();

module.exports = { check, render, cutExcerpt, codeLines, defaultPages };
