'use strict';
// Reads the reports AddressSanitizer, LeakSanitizer and UBSan wrote (log_path: one file per
// process) and sorts them into what fails a run and what does not.
//   - Any AddressSanitizer error (heap-buffer-overflow, use-after-free, …) fails.
//   - Any UBSan "runtime error:" fails.
//   - A leak fails only when it is the addon's: walking its allocation stack from the allocator
//     outwards, a frame in an addon (`ownModules`: the sanitized .node files) comes before any
//     frame of V8's internals. So memory an addon allocates itself, directly or through Node-API
//     (napi_*, node::), counts; memory V8 allocates for its own bookkeeping while an addon happens
//     to be on the stack (a slot set grown by a write barrier in ObjectTemplate::NewInstance) does
//     not. Node itself, uninstrumented and run with the runtime preloaded, leaks a few hundred
//     allocations at exit (V8 and Node's own startup, never freed because the process ends);
//     those are counted, not failed. LSan's suppressions match any frame of a stack, so they
//     cannot express "unless an addon frame comes first": hence this filter.
// Frames are read in the format asan.js asks for: `#N PC in FUNCTION SOURCE <MODULE+OFFSET>`.
const fs = require('node:fs');
const path = require('node:path');

const FRAME = /^\s*#\d+ 0x[0-9a-f]+ in (.*) <(.*)\+0x[0-9a-f]+>$/;

// Leak blocks: a "Direct leak of …" or "Indirect leak of …" line and its frame lines.
function leakBlocks(text) {
  const blocks = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (/^(Direct|Indirect) leak of /.test(line)) {
      current = { header: line, frames: [] };
      blocks.push(current);
    } else if (current && /^\s+#\d+ /.test(line)) {
      current.frames.push(line.trim());
    } else {
      current = null;
    }
  }
  return blocks;
}

// The addon module (a path under one of `ownModules`) whose frame comes first, before any frame
// of V8's internals; null when there is none: then the leak is not an addon's.
function leakingAddon(frames, ownModules) {
  for (const frame of frames) {
    const match = FRAME.exec(frame);
    if (!match) continue;
    const [, where, module] = match;
    const own = ownModules.find((prefix) => module.startsWith(prefix));
    if (own) return module.slice(own.length);
    if (where.includes('v8::internal::')) return null;
  }
  return null;
}

function isAddonLeak(frames, ownModules) {
  return leakingAddon(frames, ownModules) !== null;
}

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(file) : [file];
  });
}

// Scans every file under `dir`. Returns { files, asanErrors, ubsanErrors, addonLeaks, otherLeaks,
// leaksByAddon }: errors and addon leaks as short texts (their first lines), otherLeaks as a
// count, leaksByAddon as { module: { reports, bytes, objects } }.
function scanLogs(dir, { ownModules = [] } = {}) {
  const result = { files: 0, asanErrors: [], ubsanErrors: [], addonLeaks: [], otherLeaks: 0, leaksByAddon: {} };
  if (!fs.existsSync(dir)) return result;
  for (const file of filesUnder(dir).sort()) {
    const name = path.relative(dir, file);
    const text = fs.readFileSync(file, 'utf8');
    result.files++;
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      if (/==\d+==ERROR: AddressSanitizer/.test(line)) {
        result.asanErrors.push(`${name}: ${lines.slice(index, index + 12).join('\n')}`);
      }
      if (/runtime error:/.test(line)) result.ubsanErrors.push(`${name}: ${lines.slice(index, index + 6).join('\n')}`);
    });
    for (const block of leakBlocks(text)) {
      const addon = leakingAddon(block.frames, ownModules);
      if (addon === null) {
        result.otherLeaks++;
        continue;
      }
      result.addonLeaks.push(`${name}: ${block.header}\n  ${block.frames.slice(0, 10).join('\n  ')}`);
      const [, bytes, objects] = /of (\d+) byte\(s\) in (\d+) object/.exec(block.header) ?? [0, 0, 0];
      const sum = (result.leaksByAddon[addon] ??= { reports: 0, bytes: 0, objects: 0 });
      sum.reports++;
      sum.bytes += Number(bytes);
      sum.objects += Number(objects);
    }
  }
  return result;
}

module.exports = { scanLogs, leakBlocks, isAddonLeak, leakingAddon };
