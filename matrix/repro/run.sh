#!/usr/bin/env bash
# Builds each reproduction with the system Node's headers and loads it in each runtime of
# matrix/package.json (make matrix installs them), printing the exit code and the time it took:
#   async-cleanup-hook  Deno aborts with a double free (Node and Bun exit 0)
#   exit-from-timer     Bun's process.exit() from a timer waits until another thread stops
#                       calling a thread-safe function (Node and Deno exit at once)
#   late-calls          Deno calls call_js with a real env after an Abort: for the calls queued
#                       before it, and, with no function, for calls that raced it, after the
#                       finalizer (Node and Bun: only a null env); prints the calls by kind
#   uncaught-null       an exception nothing handles: Node ends in napi_fatal_exception; Deno
#                       goes on, each later call into JS throws null, and it prints
#                       "Uncaught null"; prints what each call_js caught, and the "Uncaught" line
set -u
cd "$(dirname "$0")"
include=$(node -p 'path.join(path.dirname(path.dirname(process.execPath)), "include", "node")')
mkdir -p build
gcc -shared -fPIC -O1 -Wall -Wextra -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=repro \
  -I"$include" async-cleanup-hook.c -o build/async-cleanup-hook.node
echo "require(\"$PWD/build/async-cleanup-hook.node\");" > build/async-cleanup-hook.cjs
gcc -shared -fPIC -O1 -Wall -Wextra -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=repro \
  -I"$include" exit-from-timer.c -o build/exit-from-timer.node -lpthread
echo "require(\"$PWD/build/exit-from-timer.node\").start(); setTimeout(() => process.exit(0), 20);" \
  > build/exit-from-timer.cjs
gcc -shared -fPIC -O1 -Wall -Wextra -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=repro \
  -I"$include" late-calls.c -o build/late-calls.node -lpthread
cat > build/late-calls.cjs << END
const repro = require("$PWD/build/late-calls.node");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  for (let stream = 0; stream < 200; stream++) {
    repro.start();
    await sleep(1);
    repro.stop();
    await sleep(5);
  }
  console.log(repro.counts());
})();
END
gcc -shared -fPIC -O1 -Wall -Wextra -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=repro \
  -I"$include" uncaught-null.c -o build/uncaught-null.node -lpthread
echo "require(\"$PWD/build/uncaught-null.node\").start(() => { throw new Error('boom'); });" \
  > build/uncaught-null.cjs
bin=../node_modules
for repro in async-cleanup-hook exit-from-timer late-calls uncaught-null; do
  for runtime in node "$bin/bun/bin/bun.exe" "$bin/.bin/deno run -A"; do
    started=$(date +%s%N)
    output=$(NO_COLOR=1 timeout 60 $runtime "build/$repro.cjs" 2> build/stderr.txt)
    code=$?
    # Repeated lines once each, counted: "19 × call_js caught a null".
    output=$(printf '%s' "$output" | sort | uniq -c |
      awk '{ n = $1; sub(/^ *[0-9]+ /, ""); print (n > 1 ? n " × " : "") $0 }' | paste -sd ';' -)
    uncaught=$(grep -m 1 -o 'Uncaught.*' build/stderr.txt)
    output="$output${uncaught:+; stderr: $uncaught}"
    echo "$repro, $runtime: exit $code after $(( ($(date +%s%N) - started) / 1000000 )) ms${output:+: $output}"
  done
done
