#!/bin/sh
# Where the time goes: perf(1) samples every thread of the process while chapter 5 delivers
# items unpaced from one producer (20 000 000 per item, 200 000 000 in batch mode, so that each
# run lasts about a second), then prints each thread's share and the hottest symbols. Node runs
# with --perf-basic-prof so that JIT-compiled JS has names (JS:*…).
# Needs perf (Debian: linux-perf) and the right to use it (root, or kernel.perf_event_paranoid
# <= 1); it says so and stops otherwise. Needs this chapter built (make -C ../.. chapter5).
# Leaves nothing behind: its perf data, the perf map of its own node process
# (/tmp/perf-PID.map) and the V8 log node writes go when it ends.
#   sh experiments/profile.sh [per-item|batch]
set -e
cd "$(dirname "$0")/.."
chapter=$(pwd)
if ! command -v perf > /dev/null 2>&1; then
  echo "profile.sh: perf is not installed (Debian: apt-get install linux-perf)" >&2
  exit 2
fi
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 3)
if [ "$(id -u)" != 0 ] && [ "$paranoid" -gt 1 ]; then
  echo "profile.sh: kernel.perf_event_paranoid is $paranoid; run as root, or: sudo sysctl kernel.perf_event_paranoid=1" >&2
  exit 2
fi
mode=${1:-per-item}
batch=false
count=20000000
if [ "$mode" = batch ]; then batch=true; count=200000000; fi
data=$(mktemp /tmp/texample-perf.XXXXXX)
work=$(mktemp -d /tmp/texample-perf-run.XXXXXX)
main_pid=
trap 'rm -rf "$data" "$work"; [ -z "$main_pid" ] || rm -f "/tmp/perf-$main_pid.map"' EXIT
main_pid=$(cd "$work" && perf record -q -F 2000 -o "$data" -- node --perf-basic-prof -e "
const t = require('$chapter');
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
