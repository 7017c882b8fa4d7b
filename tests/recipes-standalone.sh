#!/usr/bin/env bash
# Every chapter's recipe, used the way a reader uses it: the folder alone, copied out of the tree
# into a temporary directory, its dependencies installed from the npm registry (npm install also
# builds it, with node-gyp), then its tests (npm test). npm_config_nodedir points node-gyp at the
# headers of the Node that runs this, so nothing but npm packages is downloaded.
#   tests/recipes-standalone.sh            (make recipes-standalone)
# Not part of `make test`, because it installs from the registry. The temporary directory goes
# away however the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."

nodedir=$(node -p 'path.dirname(path.dirname(process.execPath))')
if [ ! -f "$nodedir/include/node/common.gypi" ]; then
  echo "recipes-standalone: no Node headers under $nodedir/include/node; nothing is downloaded" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/recipes-standalone.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
for recipe in chapters/*/recipe chapters/*/recipe-*; do
  [ -f "$recipe/package.json" ] || continue
  chapter=$(basename "$(dirname "$recipe")")/$(basename "$recipe")
  copy="$work/${chapter//\//-}"
  echo "== $chapter: $copy"
  cp -r "$recipe" "$copy"
  rm -rf "$copy/build" "$copy/node_modules" # left by a build in the tree: not the recipe's
  if (cd "$copy" && npm_config_nodedir="$nodedir" npm install --no-audit --no-fund && npm test)
  then
    echo "== $chapter: ok"
  else
    echo "== $chapter: FAILED"
    failed+=("$chapter")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "recipes-standalone: FAILED: ${failed[*]}"
  exit 1
fi
echo "recipes-standalone: every recipe installs and passes its tests on its own"
