'use strict';
// Checks a stream's items as they arrive, in constant memory (a soak delivers 10 000 000 of
// them), against the semantics a target declares (common/chapters.js):
//   every-item        producer k delivers k, k+P, k+2P, … with no gap: no loss, no duplicate,
//                     no reordering; nothing dropped unless the stream was stopped and the
//                     chapter drops on stop;
//   latest-only,
//   drops-when-full   each producer's items strictly increase: no duplicate, no reordering;
//                     the gaps are counted as dropped.
// The callback never throws (that would become an uncaughtException): it records the first
// problems and finish() returns them.
const MAX_PROBLEMS = 5;

class DeliveryChecker {
  // `allowGaps`: items may be missing in the middle (a scenario that removes the callback for a
  // while); order and uniqueness are still checked.
  constructor(target, { producers, count = Infinity, allowGaps = false }) {
    this.everyItem = target.semantics === 'every-item' && !allowGaps;
    this.target = target;
    this.producers = producers;
    this.count = count;
    this.last = new Array(producers).fill(-1);
    this.delivered = 0;
    this.violations = 0;
    this.problems = [];
  }

  problem(text) {
    this.violations++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }

  // Main thread, once per callback call.
  see(item) {
    this.delivered++;
    if (!Number.isSafeInteger(item) || item < 0 || item >= this.count) {
      this.problem(`item ${item} is not an integer in 0…${this.count - 1}`);
      return;
    }
    const k = item % this.producers;
    const last = this.last[k];
    if (this.everyItem) {
      const expected = last === -1 ? k : last + this.producers;
      if (item !== expected) {
        const what = item < expected ? 'duplicate or reordered' : 'lost';
        this.problem(`producer ${k}: got ${item} where ${expected} was due (${what})`);
      }
    } else if (item <= last) {
      this.problem(`producer ${k}: got ${item} after ${last} (duplicate or reordered)`);
    }
    this.last[k] = item;
  }

  // Once the stream has settled. `complete`: it ran to its count (it was not stopped).
  finish(stats, { complete }) {
    const check = (ok, text) => ok || this.problem(text);
    check(stats.sent === stats.delivered + stats.dropped, `sent ${stats.sent} !== delivered ${stats.delivered} + dropped ${stats.dropped}`);
    check(this.delivered === stats.delivered, `callback calls ${this.delivered} !== stats.delivered ${stats.delivered}`);
    if (complete) check(stats.sent === this.count, `a completed stream sent ${stats.sent}, not ${this.count}`);
    const promisedAll = this.everyItem && (complete || this.target.onStop === 'delivers');
    if (promisedAll) check(stats.dropped === 0, `${stats.dropped} items dropped where none may be`);
    if (this.everyItem && complete) {
      // Every producer ended on its own last item: nothing lost at the tail either.
      for (let k = 0; k < this.producers && k < this.count; k++) {
        const lastOwn = k + Math.floor((this.count - 1 - k) / this.producers) * this.producers;
        check(this.last[k] === lastOwn, `producer ${k} ended at ${this.last[k]}, not ${lastOwn}`);
      }
    }
    if (this.target.semantics === 'latest-only' && complete && this.count > 0) {
      check(this.delivered >= 1, 'no item delivered');
      if (this.target.lastItemDelivered) {
        check(this.last.includes(this.count - 1), `the last item ${this.count - 1} was not delivered`);
      }
    }
    return { violations: this.violations, problems: this.problems };
  }
}

module.exports = { DeliveryChecker };
