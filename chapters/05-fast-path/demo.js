'use strict';
// The original's session, shortened: a callback on the module, start(), Bang lines. The original
// ran forever at one item every 5 s; the demo asks for 5 items 200 ms apart and then ends.
const texample = require('.');

texample.callback = function (i) {
  console.log('Bang: ' + i);
};

texample.start({ count: 5, intervalMs: 200 }).then((stats) => {
  console.log('stats:', JSON.stringify(stats));
});
