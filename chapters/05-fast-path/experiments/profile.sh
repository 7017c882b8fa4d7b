#!/bin/sh
# Where the time goes: perf(1) samples every thread of the process while chapter 5 delivers
# items unpaced from one producer (20 000 000 per item, 200 000 000 in batch mode, so that each
# run lasts about a second), then prints each thread's share and the hottest symbols. Node runs with --perf-basic-prof so that JIT-compiled JS has names (JS:*…). Needs perf
# (Debian: linux-perf) and the right to use it (root, or kernel.perf_event_paranoid <= 1).
#   sh experiments/profile.sh [per-item|batch]
set -e
cd "$(dirname "$0")/.."
mode=${1:-per-item}
batch=false
count=20000000
if [ "$mode" = batch ]; then batch=true; count=200000000; fi
data=$(mktemp /tmp/texample-perf.XXXXXX)
trap 'rm -f "$data" /tmp/perf-*.map' EXIT
main_pid=$(perf record -q -F 2000 -o "$data" -- node --perf-basic-prof -e "
const t = require('.');
let sum = 0;
t.callback = $batch ? (v) => { let s = sum; for (let k = 0; k < v.length; k++) s += v[k]; sum = s; } : (i) => { sum += i; };
t.start({ count: $count, rate: 0, batch: $batch }).then(() => console.log(process.pid));
" 2>/dev/null)
# perf names threads by id; the main thread's id is the process id.
name_threads() { sed -E "s/ +$main_pid:node / main     /; s/ +[0-9]+:node / other    /; s/ +$//"; }
echo "$mode mode, $count items: share of samples per thread"
perf report -i "$data" --sort pid --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | name_threads
echo "hottest symbols (thread, symbol)"
perf report -i "$data" --no-children --sort pid,sym --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' |
  head -n 14 | name_threads | cut -c1-110
