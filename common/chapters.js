'use strict';
// Which chapters (and variants) exist, and what each one documents: read by the conformance
// suite (tests/) and the benchmark harness (bench/).
// A folder chapters/NN-name/ with an index.js joins the suite by existing. A chapter whose
// documented semantics differ from the contract's defaults says so in one place, its
// chapters/NN-name/conformance.json:
//   {
//     "exclude": "why this chapter does not run the suite",          (chapter 0 only)
//     "onStop": "delivers" | "drops",          what stop() does with queued items
//     "api": "node-api" | "v8",                 how it calls JS (the harness compares each
//                                               chapter with the JS-call floor of its own API)
//     "maxProducers": 1,                        fewer producers than the contract's 64 (chapter 0
//                                               only: the 2011 design had one thread)
//     "variants": [ { "name": "…", "module": "file.js", "semantics": "latest-only", … } ]
//   }
// A variant may also say how the harness measures it, "bench":
//   false                                    not measured (a variant that only the suite needs);
//   { "module": "index.js", "startOptions": { … }, "callback": "batch" }
//                                            measured through another module or options, and
//                                            with a callback that takes (values[, stamps]).
// Semantics the suite knows (defined once, in checkDelivery):
//   "every-item"   every item sent is delivered exactly once, in order per producer (default);
//   "latest-only"  delivered items increase per producer, each at most once; the rest are
//                  counted as dropped; with "lastItemDelivered": true the final item of a
//                  completed stream is always delivered.
//   "drops-when-full"  delivered items increase per producer, each at most once; items a full
//                  queue refused are counted as dropped; any item may be dropped, the last one
//                  included (a bounded queue whose producers do not wait).
const fs = require('node:fs');
const path = require('node:path');

const CHAPTERS_DIR = path.join(__dirname, '..', 'chapters');

function readDeclaration(dir) {
  const file = path.join(dir, 'conformance.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
}

const SEMANTICS = ['every-item', 'latest-only', 'drops-when-full'];

function target(name, modulePath, declared, chapterDeclared) {
  const semantics = declared.semantics ?? 'every-item';
  if (!SEMANTICS.includes(semantics)) {
    throw new Error(`${name}: unknown semantics '${semantics}' (known: ${SEMANTICS.join(', ')})`);
  }
  return {
    name,
    modulePath,
    semantics,
    onStop: declared.onStop ?? chapterDeclared.onStop ?? 'delivers',
    api: declared.api ?? chapterDeclared.api ?? 'node-api', // how it calls JS: 'node-api' or 'v8' (nan)
    lastItemDelivered: declared.lastItemDelivered ?? true,
    startOptions: declared.startOptions ?? {},
    maxProducers: declared.maxProducers ?? chapterDeclared.maxProducers ?? 64,
    bench: declared.bench ?? {},
  };
}

// Every chapter and variant; `includeExcluded` keeps those the conformance suite skips (the
// harness measures them too). CHAPTERS=01,02 in the environment narrows the list.
function chapterTargets({ includeExcluded = false } = {}) {
  const only = process.env.CHAPTERS?.split(',').filter(Boolean);
  const targets = [];
  for (const folder of fs.readdirSync(CHAPTERS_DIR).sort()) {
    const dir = path.join(CHAPTERS_DIR, folder);
    if (!/^\d\d-/.test(folder) || !fs.existsSync(path.join(dir, 'index.js'))) continue;
    if (only && !only.some((prefix) => folder.startsWith(prefix))) continue;
    const declared = readDeclaration(dir);
    if (declared.exclude && !includeExcluded) continue;
    targets.push({ ...target(folder, dir, declared, declared), excluded: declared.exclude });
    for (const variant of declared.variants ?? []) {
      const modulePath = path.join(dir, variant.module);
      const declaredVariant = { ...variant };
      if (variant.bench?.module) {
        declaredVariant.bench = { ...variant.bench, modulePath: path.join(dir, variant.bench.module) };
      }
      targets.push(target(`${folder}/${variant.name}`, modulePath, declaredVariant, declared));
    }
  }
  return targets;
}

const conformanceTargets = () => chapterTargets();

module.exports = { chapterTargets, conformanceTargets };
