'use strict';
// Loads a chapter's compiled addon for the runtime that runs it, or throws an Error that says
// why not, decided before any .node file is opened (opening one is where a runtime crashes).
//   loadAddon(__dirname, 'texample')                      a Node-API build: one binary for every
//                                                          Node, and for Bun and Deno
//   loadAddon(__dirname, 'texample', { api: 'v8' })       a nan build: one per Node ABI
//                                                          (process.versions.modules), Node only
//   loadAddon(__dirname, 'texample', { mechanism: 'libuv' })  a Node-API build whose wake-up
//                                                          mechanism is raw libuv: not on Bun
// docs/portability.md lists what runs where, and why.
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.join(__dirname, '..');

// 'node', 'bun' or 'deno', and how to name it in a message.
function runtime() {
  if (process.versions.bun) return { name: 'bun', label: `Bun ${process.versions.bun}` };
  if (process.versions.deno) return { name: 'deno', label: `Deno ${process.versions.deno}` };
  return { name: 'node', label: `Node ${process.version}` };
}

const NODE_API_ONLY = 'chapter 04-tsfn (a ThreadSafeFunction) or 03-async-worker (its Node-API builds)';

// Why a chapter cannot run on a runtime: [what is missing, what to use instead].
const REFUSALS = {
  v8: {
    bun: [
      "it is written against V8's C++ API (nan), which Bun only partly emulates, and nan's " +
        'async workers call uv_async_init, a stub that ends a Bun process on Linux ' +
        '(oven-sh/bun#4290, #18546)',
      `chapter 04-tsfn or 03-async-worker's Node-API build`,
    ],
    deno: [
      "it is written against V8's C++ API (nan), and Deno loads only Node-API addons",
      `${NODE_API_ONLY}, or 02-uv-async`,
    ],
  },
  libuv: {
    bun: [
      "its wake-up is a raw libuv uv_async_t, and Bun's uv_* functions on Linux are stubs that " +
        'end the process ("panic: unsupported uv function: uv_async_init", oven-sh/bun#18546)',
      NODE_API_ONLY,
    ],
    deno: [
      "its wake-up is a raw libuv uv_async_t, and Deno's uv shim ends the process (SIGTRAP) when " +
        'a worker_thread is terminated while the handle is open (make matrix, terminate-worker)',
      NODE_API_ONLY,
    ],
  },
};

class UnsupportedRuntimeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'Error';
    this.code = 'TEXAMPLE_UNSUPPORTED_RUNTIME';
  }
}

/**
 * @param chapterDir the chapter's folder (its index.js passes __dirname)
 * @param target the binding.gyp target's name
 * @param needs.api 'node-api' (default) or 'v8' (nan)
 * @param needs.mechanism 'libuv' where the wake-up itself is a libuv handle
 */
function loadAddon(chapterDir, target, { api = 'node-api', mechanism } = {}) {
  const chapter = path.relative(REPO, chapterDir);
  const { name, label } = runtime();
  const refusal = REFUSALS[api]?.[name] ?? REFUSALS[mechanism]?.[name];
  if (refusal) {
    const [missing, instead] = refusal;
    throw new UnsupportedRuntimeError(
      `${chapter} (${target}) cannot run on ${label}: ${missing}. Use ${instead} instead.`,
    );
  }
  if (api !== 'v8') return require(path.join(chapterDir, 'build', 'Release', `${target}.node`));

  const modules = process.versions.modules;
  const file = path.join(chapterDir, 'build', `node-abi-${modules}`, 'build', 'Release', `${target}.node`);
  if (!fs.existsSync(file)) {
    const script = path.relative(process.cwd(), path.join(REPO, 'common', 'setup', 'build-addon.js'));
    throw new Error(
      `${chapter} (${target}) has no build for ${label}, which needs NODE_MODULE_VERSION ` +
        `${modules}: a nan addon is built per Node ABI. Build it with: ` +
        `${process.execPath} ${script} ${path.relative(process.cwd(), chapterDir) || '.'}`,
    );
  }
  return require(file);
}

module.exports = { loadAddon, runtime };
