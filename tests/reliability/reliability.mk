# Reliability commands (tests/reliability/): sanitizers, soak, overload, teardown faults and bad
# input, against every chapter and variant common/chapters.js lists. Each writes
# tests/reliability/build/results/NAME.json; `make reliability` runs them all, then
# tests/reliability/report.js writes docs/reliability.md and docs/reliability/results.json from
# those files. Sizes come from environment variables (each script's header lists its own), so CI
# runs the same commands smaller. Included by the top-level Makefile.

RELIABILITY := tests/reliability

.PHONY: test-asan test-tsan soak overload teardown bad-input foreign-storm reliability reliability-report

test-asan: deps ## every chapter built with ASan, then UBSan: conformance suite, teardown, bad input
	$(NODE) $(RELIABILITY)/asan.js

test-tsan: debian-deps ## the native tests of common/ under ThreadSanitizer, with a canary race
	$(NODE) $(RELIABILITY)/tsan.js

soak: all ## 10 000 000 items through every chapter, 1 and 2 producers: no loss, no dup, in order
	$(NODE) $(RELIABILITY)/soak.js

overload: all ## a producer far faster than a slow callback: RSS where queues are bounded or not
	$(NODE) $(RELIABILITY)/overload.js

teardown: all ## stop in the callback, start/stop loops, workers terminated, exits, swaps, GC
	$(NODE) $(RELIABILITY)/teardown.js

bad-input: all ## wrong types and out-of-range values for every option of start()
	$(NODE) $(RELIABILITY)/bad-input.js

# Chapter 6 only: library threads that keep calling through teardowns. Plain, then with the
# chapter built under AddressSanitizer, then under ThreadSanitizer (FOREIGN_STORM_* sizes).
foreign-storm: all ## chapter 6: 10 000 worker terminations, 100 exits mid-stream; plain, ASan, TSan
	$(NODE) $(RELIABILITY)/foreign-storm.js
	FOREIGN_STORM_SANITIZER=address $(NODE) $(RELIABILITY)/foreign-storm.js
	FOREIGN_STORM_SANITIZER=thread $(NODE) $(RELIABILITY)/foreign-storm.js

# One after the other, never in parallel (-j1): each measures time and memory. -k: a command that
# fails does not stop the others; the report is written either way and shows what failed, and
# the target still fails.
reliability: ## all of the above, then write docs/reliability.md from their results
	@status=0; $(MAKE) --no-print-directory -j1 -k test-tsan test-asan soak overload teardown bad-input || status=$$?; \
	$(NODE) $(RELIABILITY)/report.js && exit $$status

# docs/reliability.md from the last results, without running anything.
reliability-report:
	$(NODE) $(RELIABILITY)/report.js
