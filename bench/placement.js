'use strict';
// Where a measurement's threads run (Linux; bench/floor/floor.cc, pinToCpu and pinThreads).
// On this kind of VM one vCPU at a time runs everything, a single-threaded loop included, at a
// little over half the other's speed, for minutes on end, and a thread stays on the vCPU it
// started on (docs/report/README.md, "Slow processes: the slow vCPU"). A stream is bound by one of
// its threads: the main thread for a per-item chapter and for the loop under a flood, the
// producer for the trampoline and batch mode. Unpinned, a process measures what a stream can do
// only when that thread happened to start on the fast vCPU.
//   mainOn(cpu)      a placement: the main thread on `cpu`, every other thread on the other CPUs;
//                    its place() places the threads that exist, its start(texample, options)
//                    starts a stream with the threads so placed, those start() creates included
//   onEachCpu(…)     samples taken with the main thread on each CPU in turn (the JS floors')
//   fastestCpu()     the CPU on which a short JS loop runs fastest right now
//   release()        every thread back where the process could run at first
// A placement's `cpu` turns null if the kernel refused a pin; the stream then runs where the
// refused thread was. Everything here is a no-op (null) on one CPU or without the floor addon.
const os = require('node:os');
const path = require('node:path');

const FLOOR = path.join(__dirname, 'floor', 'build', 'Release', 'floor.node');

function floorAddon() {
  try {
    return require(FLOOR);
  } catch {
    return null;
  }
}

// Threads inherit their creator's mask: before start() every thread, the main one too, goes to
// the other CPUs (pinThreads with callerOnCpu false), so that the threads start() creates land
// there; right after start() returns, before any item can be awaited, the main thread moves to
// `cpu`. Threads that already existed (V8's, libuv's pool, a library's own) move with the rest.
function mainOn(cpu) {
  const floor = floorAddon();
  if (!floor || os.cpus().length < 2 || cpu === null) return null;
  const placement = { cpu };
  placement.place = () => {
    if (!floor.pinThreads(cpu, true)) placement.cpu = null;
  };
  placement.start = (texample, options) => {
    if (!floor.pinThreads(cpu, false)) placement.cpu = null;
    const started = texample.start(options);
    if (!floor.pinToCpu(cpu)) placement.cpu = null;
    return started;
  };
  return placement;
}

// `samples` calls of takeSample (each returns a figure), sample j with the main thread on CPU
// j mod (the CPUs), after warmUp on the first; the main thread goes back where it could run at
// first. { values, cpus }: each sample's figure and CPU (null where the kernel refused the pin, or
// where pinning is impossible, and the sample ran unpinned).
function onEachCpu(samples, warmUp, takeSample) {
  const floor = floorAddon();
  const count = os.cpus().length;
  const pin = (j) => (floor?.pinToCpu(j % count) ? j % count : null);
  pin(0);
  warmUp();
  const values = [];
  const cpus = [];
  for (let j = 0; j < Math.max(1, samples); j++) {
    cpus.push(pin(j));
    values.push(takeSample());
  }
  floor?.pinToCpu(-1);
  return { values, cpus };
}

// Times the same loop on each CPU in turn (onEachCpu), `passes` times each: { cpu, slowest,
// passesUs }, the CPU with the shortest pass (null when pinning is impossible), the slowest CPU's
// shortest pass over that one's, and every pinned pass's time in µs. About 7 ms a pass on this
// kind of VM.
function fastestCpu({ passes = 2, iterations = 2_000_000 } = {}) {
  const count = os.cpus().length;
  if (!floorAddon() || count < 2) return { cpu: null, slowest: 1, passesUs: [] };
  const sum = new Float64Array(1);
  const loop = () => {
    for (let i = 0; i < iterations; i++) sum[0] += i;
  };
  const timed = () => {
    const began = process.hrtime.bigint();
    loop();
    return Number(process.hrtime.bigint() - began) / 1000;
  };
  const { values, cpus } = onEachCpu(passes * count, loop, timed);
  const best = new Array(count).fill(Infinity);
  values.forEach((us, j) => {
    if (cpus[j] !== null) best[cpus[j]] = Math.min(best[cpus[j]], us);
  });
  const passesUs = values.map((us, j) => ({ cpu: cpus[j], us: Math.round(us) })).filter((p) => p.cpu !== null);
  const finite = best.filter(Number.isFinite);
  return { cpu: finite.length > 1 ? best.indexOf(Math.min(...finite)) : null, slowest: Math.max(...finite) / Math.min(...finite), passesUs };
}

function release() {
  floorAddon()?.pinThreads(-1, true);
}

module.exports = { mainOn, onEachCpu, fastestCpu, release };
