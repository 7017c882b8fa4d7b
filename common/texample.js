'use strict';
// The texample contract (docs/contract.md) around one chapter's native binding. The binding
// provides the mechanism; this file is the same for every chapter:
//   binding.start(module, options, onDone)  starts the producers; onDone(stats, failure) runs on
//                                            the main thread once the stream has ended and every
//                                            handle it opened is closed. `failure` is absent, or
//                                            says why the stream was cut short (a producer thread
//                                            that could not be created): start()'s promise then
//                                            rejects, once the stream has ended as on stop()
//   binding.stop()                           stops and joins the producers; the stream then ends
//   binding.stats()                          the counters of the current or last stream
const { checkOptions } = require('./options');

/**
 * @param binding the chapter's compiled addon
 * @param extraChecks the chapter's own start() options, as in checkOptions()
 * @param notApplicable options this variant refuses, name → why, as in checkOptions()
 * @returns the module object: { callback, start, stop, stats }
 */
function createTexample(binding, extraChecks = {}, notApplicable = {}) {
  let running = null; // { promise } while a stream runs or closes

  const texample = {
    // Read by the native side at every wake-up, as in the original.
    callback: undefined,

    start(options) {
      const checked = checkOptions(options, extraChecks, notApplicable);
      if (running) {
        throw new Error('texample.start(): a stream is already running; await stop() first');
      }
      if (typeof texample.callback !== 'function') {
        throw new TypeError(
          `texample.callback must be a function at start(), got ${typeof texample.callback}`,
        );
      }
      // `ended` resolves with the final stats however the stream ended (stop() returns it);
      // start()'s own promise rejects instead when the stream was cut short.
      let end;
      const ended = new Promise((resolve) => {
        end = resolve;
      });
      const promise = ended.then(({ stats, failure }) => {
        if (failure === undefined) return stats;
        throw Object.assign(new Error(`texample.start(): ${failure}`), { stats });
      });
      binding.start(texample, checked, (stats, failure) => {
        running = null;
        end({ stats, failure });
      });
      running = { stopped: ended.then(({ stats }) => stats) };
      return promise;
    },

    stop() {
      if (!running) return Promise.resolve(binding.stats());
      // Read before binding.stop(): a runtime may end the stream inside it (Deno runs a
      // thread-safe function's finalizer within its abort), which clears `running`.
      const { stopped } = running;
      binding.stop();
      return stopped;
    },

    stats() {
      return binding.stats();
    },
  };
  return texample;
}

module.exports = { createTexample };
