#!/bin/sh
# Checks chapter 5's sleep handshake with Spin (handshake.pml says what is modelled and how):
# each variant is verified exhaustively, and must fail or pass as listed. Takes a few seconds.
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
exit $status
