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
// A figure the prose quotes from a run is a named value, never typed by hand. In the prose:
//
//   …delivers <!-- value: typed -->4.13<!-- end --> M items/s…
//
// and the page defines the name in a `values` comment, one `NAME = SOURCE` per line:
//
//   <!-- values:
//   typed = /typed, unbounded\s+([\d.]+)/
//   tsfn_max = ../../docs/report/results.json#results[job.targetName=04-tsfn,job.scenario=unpaced].runs[0].stats.maxItemsPerWakeup
//   -->
//
// A /regex/ (flags allowed after the closing slash) reads the output block that ends right before
// the comment (only blank lines between): the value is its first capture group, or the whole
// match. `file#path` reads a JSON file relative to the page: the path is dot-separated keys,
// [N] indexes an array, [key=value,key2=value2] picks an array's first element whose (dotted)
// keys hold those values. Names are per page; the text between the markers must equal the
// value exactly.
//
// Every command a page shows runs from the page's folder: the lines of ```sh blocks, the `$ `
// lines of ```text blocks that are not captured output, and the commands of output blocks. A
// page that shows any says so in a line "Commands on this page run from `FOLDER/`." (FOLDER
// relative to the repository root), or "… run from the repository root." for the root README.
// The check splits each line at &&, ||, ;, | and asserts, from that folder:
//   - `node [flags] FILE …`, `sh FILE …`, `bash FILE …` and a command word with a slash
//     (./run.sh, race/run.sh): FILE exists (`node -e …` is not checked);
//   - every other argument that looks like a path (has a slash, or ends in .js .cc .h .sh .gyp
//     .json .md) exists, except what an earlier `-o` on the line creates;
//   - `make [-C DIR] TARGET …`: DIR has a Makefile that defines TARGET (patterns like chapter%
//     count); `cd DIR` moves the folder for the rest of the line; `flock LOCKFILE` and
//     leading VAR=value are skipped.
// Code spans in prose are not commands to run, with one exception: a `make TARGET` span must name
// a target of the root Makefile.
//
// Paths and commands are relative to the page's folder.
//   node docs/tools/excerpts.js update [page.md …]   regenerate excerpts, outputs and values;
//                                                    prints each page and command with its time
//   node docs/tools/excerpts.js excerpts [page.md …] regenerate excerpts, line counts and values
//                                                    only, rerunning no command (after a source edit)
//   node docs/tools/excerpts.js check [page.md …]    exit 1 if an excerpt or a value differs from
//                                                    its source, or a shown command names a
//                                                    missing file or target
const fs = require('node:fs');
const path = require('node:path');
const { execSync, spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const BLOCK = /<!-- (excerpt|output|loc): (.+?) -->\n[\s\S]*?<!-- end -->/g;
const LANGUAGES = { '.cc': 'cpp', '.h': 'cpp', '.js': 'js', '.gyp': 'json', '.json': 'json' };

// Every page of every chapter (README.md and any second page beside it, and a recipe's README),
// the pages under docs/, and the root README.
function defaultPages() {
  const chapters = path.join(ROOT, 'chapters');
  const markdownIn = (dir) =>
    fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.md')).map((n) => path.join(dir, n)) : [];
  const pages = [];
  for (const folder of fs.readdirSync(chapters).sort()) {
    const dir = path.join(chapters, folder);
    if (!fs.statSync(dir).isDirectory()) continue;
    pages.push(...markdownIn(dir));
    for (const sub of fs.readdirSync(dir).filter((n) => n.startsWith('recipe'))) {
      pages.push(...markdownIn(path.join(dir, sub)));
    }
  }
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
  // consume.js is not part of any chapter: it sits on top of the contract, for readers' code.
  const common = fs
    .readdirSync(path.join(ROOT, 'common'))
    .filter((name) => /\.(h|js)$/.test(name) && name !== 'consume.js');
  const commonLines = common.reduce((n, name) => n + codeLines(path.join(ROOT, 'common', name)), 0);
  const table = [
    '| chapter | C++ lines | JS lines | files |',
    '| --- | --- | --- | --- |',
    ...rows,
    `| common/ (shared by all) | ${commonLines} | | ${common.join(', ')} |`,
  ].join('\n');
  return `<!-- loc: chapters -->\n${table}\n\nLines of code, not blank and not only a comment, counted by \`docs/tools/excerpts.js\`; the demo and experiments are left out.\n<!-- end -->`;
}

// Returns the page with every excerpt (and, when runOutputs, every output) regenerated, and every
// named value filled in from its source. onOutput(command, ms) hears of each command run.
function render(page, { runOutputs, onOutput = () => {} }) {
  const pageDir = path.dirname(page);
  const text = fs.readFileSync(page, 'utf8');
  const blocks = text.replace(BLOCK, (block, kind, argument) => {
    if (kind === 'excerpt') return excerptBlock(pageDir, argument);
    if (kind === 'loc') return locBlock();
    if (!runOutputs) return block;
    const started = Date.now();
    const fresh = outputBlock(pageDir, argument);
    onOutput(argument, Date.now() - started);
    return fresh;
  });
  const values = pageValues(page, blocks);
  return blocks.replace(VALUE, (use, name) => `<!-- value: ${name} -->${valueOf(values, name)}<!-- end -->`);
}

// ---- named values ----

const VALUE = /<!-- value: ([\w.-]+) -->([\s\S]*?)<!-- end -->/g;
const VALUES = /<!-- values:\n([\s\S]*?)-->/g;
const OUTPUT_BEFORE = /^<!-- output: (.+?) -->\n```text\n([\s\S]*?)\n```\n<!-- end -->\s*$/;

function valueOf(values, name) {
  if (!values.has(name)) throw new Error(`value ${name} is used but not defined in a values comment`);
  return values.get(name);
}

// A JSON path: a.b[0][key=value,other.key=value].c
function jsonPath(data, pathText, where) {
  let node = data;
  const steps = pathText.match(/[^.[\]]+|\[[^\]]*\]/g) ?? [];
  for (const step of steps) {
    if (step.startsWith('[')) {
      const inner = step.slice(1, -1);
      if (!Array.isArray(node)) throw new Error(`${where}: ${step} applied to something not an array`);
      if (/^\d+$/.test(inner)) node = node[Number(inner)];
      else {
        const tests = inner.split(',').map((pair) => pair.split('='));
        const at = (item, key) => {
          try {
            return String(jsonPath(item, key, where));
          } catch {
            return undefined;
          }
        };
        node = node.find((item) => tests.every(([key, want]) => at(item, key) === want));
      }
    } else node = node?.[step];
    if (node === undefined) throw new Error(`${where}: nothing at ${step}`);
  }
  return node;
}

// name -> text, from every values comment of the page (as rendered: outputs may be new).
function pageValues(page, text) {
  const pageDir = path.dirname(page);
  const values = new Map();
  for (const match of text.matchAll(VALUES)) {
    const before = text.slice(0, match.index);
    for (const line of match[1].split('\n')) {
      if (!line.trim()) continue;
      const rule = line.match(/^\s*([\w.-]+)\s*=\s*(.+?)\s*$/);
      if (!rule) throw new Error(`values: cannot read '${line.trim()}' (NAME = /regex/ or NAME = file.json#path)`);
      const [, name, source] = rule;
      if (values.has(name)) throw new Error(`value ${name} is defined twice`);
      const regex = source.match(/^\/(.+)\/([a-z]*)$/);
      if (regex) {
        const output = before.slice(before.lastIndexOf('<!-- output: ')).match(OUTPUT_BEFORE);
        if (!output) throw new Error(`value ${name}: a /regex/ value must follow an output block`);
        const found = output[2].match(new RegExp(regex[1], regex[2].replace('g', '')));
        if (!found) throw new Error(`value ${name}: ${source} matches nothing in the output of '${output[1]}'`);
        values.set(name, found[1] ?? found[0]);
      } else {
        const [file, pathText = ''] = source.split('#');
        const json = path.join(pageDir, file);
        if (!fs.existsSync(json)) throw new Error(`value ${name}: no file ${file}`);
        const value = jsonPath(JSON.parse(fs.readFileSync(json, 'utf8')), pathText, `value ${name}`);
        if (typeof value === 'object') throw new Error(`value ${name}: ${source} is not a number or a string`);
        values.set(name, String(value));
      }
    }
  }
  return values;
}

// One problem per value whose text in the prose differs from its source.
function valueProblems(page, text) {
  const values = pageValues(page, text);
  const problems = [];
  for (const [, name, shown] of text.matchAll(VALUE)) {
    const wanted = valueOf(values, name);
    if (shown !== wanted) problems.push(`value ${name} reads '${shown}', its source says '${wanted}' (run make docs)`);
  }
  return problems;
}

// ---- shown commands ----

const PATH_LIKE = /\/|\.(js|cc|h|sh|gyp|json|md)$/;
const makeTargets = new Map();

// The targets a Makefile defines, from make's own database.
function targetsOf(dir) {
  if (!makeTargets.has(dir)) {
    const result = spawnSync('make', ['-C', dir, '-pRrq', ':'], { encoding: 'utf8' });
    const names = new Set();
    for (const line of (result.stdout ?? '').split('\n')) {
      const target = line.match(/^([A-Za-z0-9%._/-]+):(?!=)/);
      if (target && !target[1].startsWith('.')) names.add(target[1]);
    }
    makeTargets.set(dir, names);
  }
  return makeTargets.get(dir);
}

function hasTarget(dir, target) {
  return [...targetsOf(dir)].some((name) =>
    name.includes('%') ? new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('%', '.+')}$`).test(target) : name === target,
  );
}

// Problems with one command line run from dir; targetsOnly for `make` spans in prose.
function commandProblems(line, startDir, { targetsOnly = false } = {}) {
  const problems = [];
  let dir = startDir;
  const created = new Set();
  const exists = (file) => created.has(file) || fs.existsSync(path.resolve(dir, file));
  const needFile = (file, what) => {
    if (!exists(file)) problems.push(`'${line}': ${what} ${file} does not exist from ${path.relative(ROOT, dir) || '.'}/`);
  };
  for (const part of line.split(/&&|\|\||;|\|/)) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) words.shift();
    if (words[0] === 'flock') words.splice(0, 2);
    if (!words.length) continue;
    const [command, ...args] = words;
    if (command === 'make') {
      let makeDir = dir;
      const targets = [];
      for (let k = 0; k < args.length; k++) {
        if (args[k] === '-C') makeDir = path.resolve(dir, args[++k]);
        else if (!args[k].startsWith('-') && !args[k].includes('=')) targets.push(args[k]);
      }
      if (targetsOnly) makeDir = ROOT;
      if (!fs.existsSync(path.join(makeDir, 'Makefile'))) {
        problems.push(`'${line}': no Makefile in ${path.relative(ROOT, makeDir) || '.'}/`);
        continue;
      }
      for (const target of targets) {
        if (!hasTarget(makeDir, target)) problems.push(`'${line}': make has no target ${target}`);
      }
      continue;
    }
    if (targetsOnly) continue;
    if (command === 'cd') {
      needFile(args[0], 'folder');
      dir = path.resolve(dir, args[0] ?? '.');
      continue;
    }
    let rest = args;
    if (command === 'node') {
      if (args.some((arg) => arg === '-e' || arg === '--eval' || arg === '-p')) continue;
      const script = args.findIndex((arg) => !arg.startsWith('-'));
      if (script >= 0) needFile(args[script], 'script');
      rest = args.slice(script + 1);
    } else if (command === 'sh' || command === 'bash') {
      if (args[0]) needFile(args[0], 'script');
      rest = args.slice(1);
    } else if (command.includes('/')) {
      needFile(command, 'command');
    }
    for (let k = 0; k < rest.length; k++) {
      if (rest[k] === '-o' && rest[k + 1]) {
        created.add(rest[++k]);
        continue;
      }
      const arg = rest[k].replace(/^['"]|['"]$/g, '');
      if (!arg.startsWith('-') && !/[[\]$*<>]/.test(arg) && PATH_LIKE.test(arg)) needFile(arg, 'file');
    }
  }
  return problems;
}

// The commands a page shows: [command, { targetsOnly }] pairs.
function shownCommands(text) {
  const commands = [];
  const withoutOutputs = text.replace(BLOCK, (block, kind, argument) => {
    if (kind === 'output') commands.push([argument, {}]);
    return '';
  });
  const fences = withoutOutputs.split(/^```/m);
  for (let k = 1; k < fences.length; k += 2) {
    const [language, ...body] = fences[k].split('\n');
    for (const raw of body) {
      if (language.trim() === 'sh') {
        const command = raw.replace(/(^|\s)#.*$/, '').trim();
        if (command) commands.push([command, {}]);
      } else if (language.trim() === 'text' && raw.startsWith('$ ')) {
        commands.push([raw.slice(2).trim(), {}]);
      }
    }
  }
  for (let k = 0; k < fences.length; k += 2) {
    for (const [, span] of fences[k].matchAll(/`([^`\n]+)`/g)) {
      if (/^make [a-z]/.test(span)) commands.push([span, { targetsOnly: true }]);
    }
  }
  return commands;
}

function commandCheck(page, text) {
  const commands = shownCommands(text);
  if (!commands.some(([, options]) => !options.targetsOnly)) return commands.flatMap(([c, o]) => commandProblems(c, ROOT, o));
  const pageDir = path.dirname(page);
  const folder = path.relative(ROOT, pageDir);
  const statement = folder ? `Commands on this page run from \`${folder}/\`.` : 'Commands on this page run from the repository root.';
  const problems = [];
  if (!text.replace(/\s+/g, ' ').includes(statement)) problems.push(`shows commands but does not say where they run: '${statement}'`);
  for (const [command, options] of commands) problems.push(...commandProblems(command, pageDir, options));
  return problems;
}

function check(pages) {
  const problems = [];
  for (const page of pages) {
    const name = path.relative(ROOT, page);
    try {
      const text = fs.readFileSync(page, 'utf8');
      const found = [...valueProblems(page, text), ...commandCheck(page, text)];
      if (!found.length && render(page, { runOutputs: false }) !== text) {
        found.push('an excerpt differs from its source (run make docs)');
      }
      problems.push(...found.map((problem) => `${name}: ${problem}`));
    } catch (error) {
      problems.push(`${name}: ${error.message}`);
    }
  }
  return problems;
}

function main() {
  const [command, ...rest] = process.argv.slice(2);
  const pages = rest.length ? rest.map((page) => path.resolve(page)) : defaultPages();
  if (command === 'update') {
    const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
    const started = Date.now();
    for (const page of pages) {
      const name = path.relative(ROOT, page);
      const pageStarted = Date.now();
      const text = render(page, {
        runOutputs: true,
        onOutput: (output, ms) => console.log(`${name}: ${output} (${seconds(ms)})`),
      });
      fs.writeFileSync(page, text);
      console.log(`${name}: done (${seconds(Date.now() - pageStarted)}, ${seconds(Date.now() - started)} in all)`);
    }
  } else if (command === 'excerpts') {
    // After a source edit: excerpts, line counts and named values only; no command is rerun.
    for (const page of pages) fs.writeFileSync(page, render(page, { runOutputs: false }));
  } else if (command === 'check') {
    const problems = check(pages);
    for (const problem of problems) console.error(problem);
    process.exit(problems.length ? 1 : 0);
  } else {
    console.error('usage: node docs/tools/excerpts.js update|excerpts|check [page.md …]');
    process.exit(2);
  }
}

if (require.main === module) main();

module.exports = { check, render, cutExcerpt, codeLines, defaultPages, commandProblems, shownCommands };
