'use strict';
// Int32 cells of the SharedArrayBuffer ring, shared by the main thread and the workers.
const RING = { WRITE: 0, READ: 1, DONE: 2, PRODUCER_WAITING: 3, EMITTED: 4, SIZE: 5 };
const GLOBAL = { SLEEPING: 0, SIZE: 1 };
const CAPACITY = 1 << 16; // items per ring, a power of two

module.exports = { RING, GLOBAL, CAPACITY };
