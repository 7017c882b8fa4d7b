'use strict';
// One failure class of nodejs/node#55706 against one build, in a process of its own (run.js
// runs them all). Prints one line, "survived …", if the process gets to the end.
//   node scenario.js <naive|naive_asan|naive_tsan|chapter|chapter_asan|chapter_tsan> <scenario>
//   late-after-stop  stop() with the at-once unsubscribe while two library threads call (2000
//                    items/s), which go on calling for 1 s: the naive build has released its
//                    function
//   worker-teardown  10 workers, each streaming from two library threads, terminated mid-stream
//                    while those threads keep calling (the naive build never unsubscribes there)
const path = require('node:path');
const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');

const [build, scenario] = isMainThread ? process.argv.slice(2) : [workerData.build, 'worker'];
const LATE_MS = 1000;
// Paced: between two late calls the function's queue runs empty, and a released function then
// closes and is freed while the library's threads still hold it.
const RATE = 2000;

// The same small API over both: start(onItem), stop(), libraryStats().
function load() {
  if (build.startsWith('naive')) {
    const naive = require(path.join(__dirname, 'build', 'Release', `${build}.node`));
    return {
      start: (onItem) => naive.start(onItem, 2, LATE_MS, RATE),
      stop: () => naive.stop(true),
      libraryStats: () => naive.libraryStats(),
    };
  }
  const { createTexample } = require('../../../../common/texample');
  const chapter = path.join(__dirname, '..', '..');
  const binding = build === 'chapter' ? require(path.join(chapter, 'build', 'Release', 'texample.node')) : require(path.join(__dirname, 'build', 'Release', `${build}.node`));
  const texample = createTexample(binding, require(path.join(chapter, 'start-options')));
  return {
    start: (onItem) => {
      texample.callback = onItem;
      texample.start({ producers: 2, rate: RATE, unsubscribe: 'at-once', lateMs: LATE_MS });
    },
    stop: () => texample.stop(),
    libraryStats: () => binding.libraryStats(),
  };
}

const api = load();
const untilIdle = async () => {
  while (api.libraryStats().threadsRunning !== 0) await new Promise((resolve) => setTimeout(resolve, 10));
};

async function lateAfterStop() {
  let reached;
  const thousand = new Promise((resolve) => (reached = resolve));
  let delivered = 0;
  api.start(() => ++delivered === 1000 && reached());
  await thousand;
  await api.stop();
  await untilIdle();
  console.log(`survived: late-after-stop, library refused ${api.libraryStats().refused} calls`);
}

async function workerTeardown() {
  for (let round = 0; round < 10; round++) {
    const worker = new Worker(__filename, { workerData: { build } });
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
  }
  await untilIdle();
  console.log(`survived: worker-teardown, library refused ${api.libraryStats().refused} calls`);
}

if (scenario === 'worker') {
  let delivered = 0;
  api.start(() => ++delivered === 100 && parentPort.postMessage('running'));
} else if (scenario === 'late-after-stop') {
  lateAfterStop();
} else if (scenario === 'worker-teardown') {
  workerTeardown();
} else {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}
