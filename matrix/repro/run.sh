#!/usr/bin/env bash
# Builds the reproduction with the system Node's headers and loads it in each runtime of
# matrix/package.json (make matrix installs them): Deno aborts with a double free.
set -u
cd "$(dirname "$0")"
mkdir -p build
gcc -shared -fPIC -O1 -Wall -Wextra -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=repro \
  -I/usr/include/node async-cleanup-hook.c -o build/async-cleanup-hook.node
echo "require(\"$PWD/build/async-cleanup-hook.node\");" > build/load.cjs
bin=../node_modules
for runtime in node "$bin/bun/bin/bun.exe" "$bin/.bin/deno run -A"; do
  $runtime build/load.cjs
  echo "$runtime: exit $?"
done
