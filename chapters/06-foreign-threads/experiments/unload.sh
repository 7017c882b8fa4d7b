#!/bin/sh
# Builds experiments/unload-lib.c twice, without and with -z nodelete, and runs unload.c on each:
# exit status 139 is a process killed by SIGSEGV, before it could print anything.
#   sh experiments/unload.sh
cd "$(dirname "$0")" || exit 2
out=${TMPDIR:-/tmp}/foreign-threads-unload
mkdir -p "$out" || exit 2
gcc -O2 -Wall -Wextra -pthread -o "$out/unload" unload.c -ldl || exit 2
gcc -O2 -Wall -Wextra -pthread -shared -fPIC -o "$out/plain.so" unload-lib.c || exit 2
gcc -O2 -Wall -Wextra -pthread -shared -fPIC -Wl,-z,nodelete -o "$out/nodelete.so" unload-lib.c || exit 2
for library in plain nodelete; do
  said=$("$out/unload" "$out/$library.so" 2>&1)
  echo "$library.so: exit status $? $said"
done
