#!/usr/bin/env bash
# Every chapter's recipe, used the way a reader uses it: the folder alone, copied out of the tree
# into a temporary directory, its dependencies installed from the npm registry (npm install also
# builds it, with node-gyp), then its tests, under every runtime. Each Node builds its own copy,
# with npm_config_nodedir pointing node-gyp at that Node's headers (its prefix holds
# include/node), so nothing but npm packages is downloaded. Bun and Deno load the copy Node 20
# built (a Node-API addon is one binary for every runtime); a recipe that cannot run there must
# refuse to load with an Error that says why, and counts as "refuses".
#   tests/recipes-standalone.sh                               (make recipes-standalone)
#   RECIPES_RUNTIMES=node24,node26,bun tests/recipes-standalone.sh
#   RECIPES_ONLY=04-tsfn/recipe,01-libev-shim/recipe tests/recipes-standalone.sh
# RECIPES_RUNTIMES defaults to node20 (the node on PATH), node22, node24 and node26, bun and deno
# from matrix/node_modules where installed (make matrix, or cd matrix && npm ci); a runtime that
# RECIPES_RUNTIMES names must be installed. Prints a table:
# recipe × runtime, each cell "pass N", "FAIL f/N" or "refuses". Not part of `make test`, because
# it installs from the registry. The temporary directory goes away however the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
matrix=$root/matrix/node_modules

# runtime id → the command that runs a script (node, bun, deno); Nodes also give their prefix.
node_bin() {
  case $1 in
    node20) command -v node ;;
    node*) echo "$matrix/$1/bin/node" ;;
  esac
}
available() {
  case $1 in
    node*) [ -x "$(node_bin "$1")" ] ;;
    bun) [ -x "$matrix/bun/bin/bun.exe" ] ;;
    deno) [ -x "$matrix/.bin/deno" ] ;;
    *) return 1 ;;
  esac
}

IFS=, read -r -a runtimes <<<"${RECIPES_RUNTIMES:-node20,node22,node24,node26,bun,deno}"
chosen=()
for runtime in "${runtimes[@]}"; do
  if available "$runtime"; then
    chosen+=("$runtime")
  elif [ -n "${RECIPES_RUNTIMES:-}" ]; then # asked for by name: its absence is an error
    echo "recipes-standalone: $runtime is not installed (cd matrix && npm ci)" >&2
    exit 2
  else
    echo "== $runtime: not installed (cd matrix && npm ci), left out"
  fi
done
if [ -n "${RECIPES_ONLY:-}" ]; then # not RECIPES: the Makefile's variable of that name wins
  IFS=, read -r -a wanted <<<"$RECIPES_ONLY"
  recipes=("${wanted[@]/#/chapters/}")
  for recipe in "${recipes[@]}"; do
    [ -f "$recipe/package.json" ] || { echo "recipes-standalone: no recipe $recipe" >&2; exit 2; }
  done
else
  recipes=(chapters/*/recipe chapters/*/recipe-*)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/recipes-standalone.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The counts of a test run's log: node --test ("# pass N" or "ℹ pass N"), bun test (" N pass"), deno test
# ("ok | N passed | M failed").
counts() {
  local log=$1 pass fail
  pass=$(grep -oE '^(# |ℹ )pass [0-9]+|^ *[0-9]+ pass$|[0-9]+ passed' "$log" | grep -oE '[0-9]+' | tail -n 1)
  fail=$(grep -oE '^(# |ℹ )fail [0-9]+|^ *[0-9]+ fail$|[0-9]+ failed' "$log" | grep -oE '[0-9]+' | tail -n 1)
  echo "${pass:-0} ${fail:-0}"
}

# run RECIPE RUNTIME COPY: tests one copy under one runtime; prints its cell.
run() {
  local recipe=$1 runtime=$2 copy=$3 log=$3.$2.log status=0 pass fail
  case $runtime in
    bun) (cd "$copy" && timeout 600 "$matrix/bun/bin/bun.exe" -e "require('./index.js')") >"$log" 2>&1 || status=$? ;;
    deno) (cd "$copy" && timeout 600 "$matrix/.bin/deno" eval "require('./index.js')") >"$log" 2>&1 || status=$? ;;
  esac
  if [ $status -ne 0 ]; then # it would not load: a refusal names the runtime in an Error
    if grep -qiE "error: .*(runs on Node only|does not run on|cannot run on)" "$log"; then echo refuses; else echo "CRASH $status"; fi
    return
  fi
  case $runtime in
    node*) (cd "$copy" && PATH="$(dirname "$(node_bin "$runtime")"):$PATH" timeout 600 npm test) ;;
    bun) (cd "$copy" && timeout 600 "$matrix/bun/bin/bun.exe" test ./test.js) ;;
    deno) (cd "$copy" && NO_COLOR=1 timeout 600 "$matrix/.bin/deno" test -A test.js) ;;
  esac >"$log" 2>&1 || status=$?
  read -r pass fail < <(counts "$log")
  if [ $status -eq 0 ] && [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]; then echo "pass $pass"; else echo "FAIL $fail/$((pass + fail))"; fi
}

declare -A cell
failed=()
for recipe in "${recipes[@]}"; do
  [ -f "$recipe/package.json" ] || continue
  name=$(basename "$(dirname "$recipe")")/$(basename "$recipe")
  for runtime in "${chosen[@]}"; do
    case $runtime in
      node*) # its own copy, built by npm install for this Node
        copy="$work/${name//\//-}-$runtime"
        node=$(node_bin "$runtime")
        echo "== $name, $runtime ($($node --version)): $copy"
        cp -r "$recipe" "$copy"
        rm -rf "$copy/build" "$copy/node_modules" # left by a build in the tree: not the recipe's
        if ! (cd "$copy" && PATH="$(dirname "$node"):$PATH" \
          npm_config_nodedir="$(dirname "$(dirname "$node")")" \
          npm install --no-audit --no-fund --loglevel=error >"$copy.install.log" 2>&1); then
          tail -n 20 "$copy.install.log"
          cell[$name,$runtime]="NO BUILD"
          failed+=("$name/$runtime")
          continue
        fi
        ;;
      *) copy="$work/${name//\//-}-node20" # the copy Node 20 built
        [ -d "$copy/build" ] || { cell[$name,$runtime]="no build"; continue; }
        echo "== $name, $runtime: $copy" ;;
    esac
    cell[$name,$runtime]=$(run "$name" "$runtime" "$copy")
    echo "   ${cell[$name,$runtime]}"
    case ${cell[$name,$runtime]} in
      pass* | refuses) ;;
      *) tail -n 30 "$copy.$runtime.log"; failed+=("$name/$runtime") ;;
    esac
  done
done

echo
printf '| recipe |'; printf ' %s |' "${chosen[@]}"; echo
printf '| --- |'; printf ' --- |%.0s' "${chosen[@]}"; echo
for recipe in "${recipes[@]}"; do
  name=$(basename "$(dirname "$recipe")")/$(basename "$recipe")
  printf '| %s |' "$name"
  for runtime in "${chosen[@]}"; do printf ' %s |' "${cell[$name,$runtime]:-}"; done
  echo
done
echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "recipes-standalone: FAILED: ${failed[*]}"
  exit 1
fi
echo "recipes-standalone: every recipe installs and passes its tests on its own, or refuses to load with an Error"
