// The registration functions of each group of floors, called by main.cc in report order.
#pragma once

#include "support.h"

namespace floors {

// wakeup_floors.cc: kernel mechanisms (eventfd, pipe, futex, condvar) and a spin.
void RegisterChannelPingPongs(const RunLength& length);
void RegisterChannelPacedLatencies(const RunLength& length);

// uv_floors.cc: uv_async_send with the libuv this binary links (Debian's, not Node's).
void RegisterUvPingPong(const RunLength& length);
void RegisterUvPacedLatency(const RunLength& length);
void RegisterUvBurstCoalescing(const RunLength& length);

// queue_floors.cc: common/locked_queue.h.
void RegisterLockedQueue(const RunLength& length);

// ring_floors.cc: chapters/05-fast-path/ring.h, producer to consumer with no JS.
void RegisterRing(const RunLength& length);

}  // namespace floors
