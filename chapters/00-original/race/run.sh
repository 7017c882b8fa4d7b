#!/usr/bin/env bash
# Builds race.cc with ThreadSanitizer and runs it; prints the first race TSan reports.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
g++ -std=c++17 -g -O1 -fsanitize=thread -Wall -Wextra race.cc -o build/race
# The warning line, then the two racing accesses with their two innermost frames each.
TSAN_OPTIONS="halt_on_error=1 exitcode=66" ./build/race 2>&1 |
  awk '/WARNING: ThreadSanitizer/ { print; next }
       /^  (Write|Read|Previous (write|read)) of/ { print; frames = 2; next }
       frames > 0 && /^ +#[0-9]/ { print; frames--; if (frames == 0) n++; if (n == 2) exit }' || true
