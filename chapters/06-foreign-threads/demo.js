'use strict';
// The original's session, shortened, with items from the library's threads; then one request,
// answered on a library thread; then a stop with the at-once unsubscribe, whose late calls the
// library makes after it returns are refused and counted.
const texample = require('.');

texample.callback = function (i) {
  console.log('Bang: ' + i);
};

async function main() {
  const first = await texample.start({ count: 5, intervalMs: 200 });
  console.log('stats:', JSON.stringify(first));

  texample.callback = () => {};
  const done = texample.start({ rate: 1000, unsubscribe: 'at-once', lateMs: 100 });
  console.log('request(21) answered:', await texample.request(21));
  await texample.stop();
  await done;
  while (texample.libraryStats().threadsRunning > 0) await new Promise((r) => setTimeout(r, 10));
  const { late } = texample.stats();
  console.log(`late calls refused after stop(): ${late}; library says refused: ${texample.libraryStats().refused}`);
}

main();
