// The native floors: what each wake-up mechanism costs below Node, in report order. Google
// Benchmark's own flags apply (--benchmark_filter, --benchmark_out=FILE
// --benchmark_out_format=json, ...). FLOORS_FULL=1 runs every floor longer.
#include <benchmark/benchmark.h>
#include <uv.h>

#include <string>

#include "channels.h"
#include "floors.h"
#include "support.h"

int main(int argc, char** argv) {
  const floors::RunLength length = floors::RunLengthFromEnvironment();
  // Every uv figure depends on the libuv linked here: say which one, in the output itself.
  benchmark::AddCustomContext("libuv", uv_version_string());
  benchmark::AddCustomContext(
      "libuv_note",
      "Debian libuv1-dev, not Node's: before 1.45 the loop spins while uv_async_send writes");
  benchmark::AddCustomContext("floors_mode", length.full ? "full" : "quick");
  benchmark::AddCustomContext("floors_wait_limit_ms", std::to_string(floors::kWaitLimitMs));

  floors::RegisterChannelPingPongs(length);
  floors::RegisterUvPingPong(length);
  floors::RegisterChannelPacedLatencies(length);
  floors::RegisterUvPacedLatency(length);
  floors::RegisterUvBurstCoalescing(length);
  floors::RegisterLockedQueue(length);
  floors::RegisterRing(length);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
