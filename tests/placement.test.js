'use strict';
// Where the benchmarks put their threads (bench/placement.js, bench/floor/floor.cc's pinToCpu and
// pinThreads): read back from /proc/self/task, the kernel's own record of each thread's mask.
// Needs two CPUs or more; on one, the tests say so and skip.
const assert = require('node:assert/strict');
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { describe, it } = require('node:test');

const ROOT = path.join(__dirname, '..');
const floor = require(path.join(ROOT, 'bench', 'floor', 'build', 'Release', 'floor.node'));
const placement = require('../bench/placement');

const CPUS = os.cpus().length;
const skip = CPUS < 2 ? 'needs two CPUs or more' : false;

// "0-1,3" → [0, 1, 3]
function cpuList(text) {
  return text.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return Array.from({ length: to - from + 1 }, (_, k) => from + k);
  });
}

// Every thread of this process: { tid, cpus } from /proc/self/task/<tid>/status.
function threadMasks() {
  return fs.readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const status = fs.readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
      return [{ tid: Number(tid), cpus: cpuList(status.match(/^Cpus_allowed_list:\s*(\S+)/m)[1]) }];
    } catch {
      return []; // the thread ended while the list was read
    }
  });
}

const everyCpu = () => Array.from({ length: CPUS }, (_, k) => k);
const restOf = (cpu) => everyCpu().filter((k) => k !== cpu);
const mainTid = process.pid; // the main thread's tid is the process's id

function withWorker(body) {
  // A worker: one more thread that exists before the pin, parked on a lock-free wait.
  const shared = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker('const { workerData } = require("node:worker_threads"); Atomics.wait(workerData, 0, 0);', { eval: true, workerData: shared });
  return new Promise((resolve) => worker.once('online', resolve))
    .then(body)
    .finally(() => {
      Atomics.store(shared, 0, 1);
      Atomics.notify(shared, 0);
      return worker.terminate();
    });
}

describe('thread placement (bench/placement.js)', { skip }, () => {
  it('pinThreads puts the caller on its CPU and every other thread on the rest, and -1 gives back every mask', async () => {
    await withWorker(() => {
      assert.equal(floor.pinThreads(1, true), true);
      const masks = threadMasks();
      assert.ok(masks.length >= 3, `a worker and Node's own threads: ${masks.length}`);
      for (const { tid, cpus } of masks) assert.deepEqual(cpus, tid === mainTid ? [1] : restOf(1), `thread ${tid}`);
      assert.equal(floor.pinThreads(0, false), true);
      for (const { tid, cpus } of threadMasks()) assert.deepEqual(cpus, restOf(0), `thread ${tid}`);
      assert.equal(floor.pinThreads(-1, true), true);
      for (const { tid, cpus } of threadMasks()) assert.deepEqual(cpus, everyCpu(), `thread ${tid}`);
    });
  });

  it('pinThreads and pinToCpu refuse a CPU the process may not run on, and change nothing', () => {
    assert.equal(floor.pinThreads(CPUS, true), false);
    assert.equal(floor.pinThreads(5000, true), false);
    assert.equal(floor.pinToCpu(5000), false);
    for (const { tid, cpus } of threadMasks()) assert.deepEqual(cpus, everyCpu(), `thread ${tid}`);
  });

  it('mainOn(cpu).start: the threads start() creates run on the rest, the main thread on cpu', async () => {
    const texample = require(path.join(ROOT, 'chapters', '05-fast-path'));
    let delivered = 0;
    texample.callback = () => delivered++;
    const placed = placement.mainOn(0);
    const before = new Set(threadMasks().map((t) => t.tid));
    // Paced: 100 items at 1 000/s, so that its producer is alive 50 ms in.
    const stream = placed.start(texample, { count: 100, rate: 1000, producers: 1 });
    const during = await new Promise((resolve) => setTimeout(() => resolve(threadMasks()), 50));
    const stats = await stream;
    placement.release();
    assert.equal(placed.cpu, 0);
    assert.equal(stats.delivered, 100);
    assert.equal(delivered, 100);
    const created = during.filter((t) => !before.has(t.tid));
    assert.ok(created.length >= 1, 'the stream\'s producer thread');
    for (const { tid, cpus } of during) assert.deepEqual(cpus, tid === mainTid ? [0] : restOf(0), `thread ${tid}`);
    for (const { tid, cpus } of threadMasks()) assert.deepEqual(cpus, everyCpu(), `thread ${tid} after release`);
  });

  it('fastestCpu times every CPU and names one of them', () => {
    const { cpu, slowest, passesUs } = placement.fastestCpu({ passes: 2, iterations: 100000 });
    assert.ok(cpu >= 0 && cpu < CPUS);
    assert.ok(slowest >= 1);
    assert.deepEqual(passesUs.map((p) => p.cpu), [...everyCpu(), ...everyCpu()]);
    placement.release();
    assert.deepEqual(threadMasks().find((t) => t.tid === mainTid).cpus, everyCpu());
  });

  it('a throughput job with pinArrangements takes its unpinned samples and one per CPU in turn', () => {
    const job = {
      kind: 'stream',
      target: { modulePath: 'chapters/05-fast-path', semantics: 'every-item', startOptions: {}, callback: 'per-item' },
      options: { count: 20000, rate: 0, producers: 1 },
      latency: false,
      samples: 2,
      pinArrangements: 2,
    };
    const out = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'bench', 'run-one.js'), JSON.stringify(job)], { cwd: ROOT }).toString());
    assert.deepEqual(out.problems, []);
    assert.deepEqual(out.samplesCpu, [null, 0, null, 1]);
    assert.equal(out.samplesPerSec.length, 4);
    assert.equal(out.deliveredPerSec, Math.max(...out.samplesPerSec));
    assert.equal(out.stats.delivered, 20000);
  });
});
