'use strict';
// mulberry32: a small, fast, seeded generator, uniform in [0, 1). The harness's bootstrap and the
// reliability runs' fault timings use it, so that a run can be repeated exactly.
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { seededRandom };
