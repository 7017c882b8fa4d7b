#!/bin/sh
# Checks chapter 5's sleep handshake with Spin (handshake.pml says what is modelled and how):
# each variant is verified exhaustively, and must fail or pass as listed. Takes a minute or two.
#   sh chapters/05-fast-path/model/run.sh          (needs the Debian package spin, and a C compiler)
set -eu
model="$(cd "$(dirname "$0")" && pwd)/handshake.pml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# check EXPECTED FLAGS WHAT: verifies one variant; FAIL means Spin found a counterexample.
check() {
  expected=$1 flags=$2 what=$3
  rm -f "$work"/pan*
  (cd "$work" && spin -a $flags "$model" > /dev/null && cc -O0 -w -DSAFETY -o pan pan.c)
  out=$(cd "$work" && ./pan -m200000 2>&1)
  errors=$(printf '%s\n' "$out" | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
  states=$(printf '%s\n' "$out" | sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p')
  if [ "$errors" = 0 ]; then got=pass; else got=FAIL; fi
  if [ "$got" = "$expected" ]; then mark=ok; else mark="UNEXPECTED (wanted $expected)"; status=1; fi
  printf '%-4s %7s  %-38s %s: %s\n' "$got" "$states" "$flags" "$what" "$mark"
  if [ "$got" = FAIL ]; then
    printf '%s\n' "$out" | grep -E '^pan:[0-9]' | sed 's/^/       /'
  fi
}

echo "     states  flags                                  variant"
check FAIL ""                       "relaxed exchange and store, asymmetric fence (the broken order)"
check FAIL "-DSYMMETRIC"            "relaxed exchange and store, symmetric fences"
check pass "-DFIXED"                "acquire exchange, release store, asymmetric fence (texample.cc)"
check pass "-DFIXED -DSYMMETRIC"    "acquire exchange, release store, symmetric fences"
check FAIL "-DPAUSE"                "the broken order, a paused stream"
check pass "-DPAUSE -DFIXED"        "the fixed order, a paused stream"
check pass "-DPAUSE -DFIXED -DSYMMETRIC" "the fixed order, symmetric fences, a paused stream"
check FAIL "-DSC_RMW_AS_FENCES"     "the broken order, libuv's exchanges as full fences"
check pass "-DFIXED -DSC_RMW_AS_FENCES" "the fixed order, libuv's exchanges as full fences"
check pass "-DFENCE_BEFORE_SEND"    "relaxed, a seq_cst fence before uv_async_send"
check FAIL "-DPAUSE -DFIXED -DNO_FENCES" "no fences at all (the model sees the race they close)"
check pass "-DFIXED -DN=3 -DMAXMSG=24" "the fixed order, three items"
check pass "-DFIXED -DSYMMETRIC -DN=3 -DMAXMSG=24" "the fixed order, symmetric fences, three items"
# Two producers, one item each. A paused stream: the ending one is as safe (14 million states,
# minutes: too long to check at every run) and fails as the paused one does for the broken order.
check FAIL "-DP=2 -DN=1"             "the broken order, two producers"
check FAIL "-DP=2 -DN=1 -DPAUSE"     "the broken order, two producers, a paused stream"
check pass "-DP=2 -DN=1 -DPAUSE -DFIXED" "the fixed order, two producers, a paused stream"
check pass "-DP=2 -DN=1 -DPAUSE -DFIXED -DSYMMETRIC" "the fixed order, symmetric, two producers, paused"
# stop()'s own send, from a timer (armed_ may be set) or from the callback.
check FAIL "-DSTOP_SEND -DPAUSE"     "the broken order, stop() sends, a paused stream"
check pass "-DSTOP_SEND -DPAUSE -DFIXED" "the fixed order, stop() sends, a paused stream"
# libuv after 1.52.1 (#5058): a relaxed compare-exchange loop in uv_async_send.
check FAIL "-DLIBUV_CAS -DPAUSE"     "the broken order, libuv's newer send, paused"
check pass "-DLIBUV_CAS -DPAUSE -DFIXED" "the fixed order, libuv's newer send, paused"
check pass "-DLIBUV_CAS -DFIXED -DMAXMSG=24" "the fixed order, libuv's newer send"
exit $status
