'use strict';
// One soak run, in a process of its own: pushes `count` items through one target with
// `producers` unpaced producers and checks every one of them as it arrives (lib/delivery.js).
//   node tests/reliability/soak-child.js '<{ target, count, producers } as JSON>'
// Prints one JSON line: { stats, ms, maxRssKib, violations, problems }.
const { DeliveryChecker } = require('./lib/delivery');

async function main() {
  const { target, count, producers } = JSON.parse(process.argv[2]);
  const texample = require(target.modulePath);
  const checker = new DeliveryChecker(target, { producers, count });
  texample.callback = (i) => checker.see(i);
  const started = process.hrtime.bigint();
  const stats = await texample.start({ ...target.startOptions, count, producers, rate: 0 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const { violations, problems } = checker.finish(stats, { complete: true });
  const maxRssKib = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify({ stats, ms, maxRssKib, violations, problems }) + '\n');
}

main();
