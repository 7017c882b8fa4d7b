#!/bin/sh
# Runs experiments/pointer-user-data.c under AddressSanitizer and prints the first line of its
# report, with the round it came in.
#   sh experiments/pointer-user-data.sh
cd "$(dirname "$0")" || exit 2
out=${TMPDIR:-/tmp}/foreign-threads-pointer
gcc -O1 -g -fsanitize=address -fno-omit-frame-pointer -pthread -o "$out" pointer-user-data.c || exit 2
log=$("$out" 2>&1)
echo "$log" | grep -m 1 -oE 'ERROR: AddressSanitizer: [a-z-]+' || echo "no report"
echo "$log" | grep -oE '^round [0-9]+' | tail -n 1 | sed 's/^round \([0-9]*\)/after round \1 of 1000/'
echo "$log" | grep -m 1 -E '^ *#[0-9]+ .* in OnExpiry' | sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in /in /; s| [^ ]*/| |'
