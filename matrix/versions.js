'use strict';
// Prints what make matrix's versions table shows for the runtime that runs it.
const { runtime } = require('../common/addon');

const v = process.versions;
const { name } = runtime();
process.stdout.write(
  `${JSON.stringify({
    runtime: name,
    version: v[name] ?? process.version,
    arch: process.arch,
    nodeCompat: v.node ?? null,
    napi: v.napi ?? null,
    uv: v.uv ?? null,
    v8: v.v8 ?? null,
    modules: v.modules ?? null,
  })}\n`,
);
