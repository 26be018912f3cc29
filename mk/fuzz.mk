# Fuzzing (fuzz/: cargo fuzz on the nightly toolchain; its own Cargo workspace, so the
# stable workspace builds never compile it). Included by the Makefile.
#
#   make fuzz         each target for FUZZ_SECONDS (default 60); new inputs kept in fuzz/work/
#   make fuzz-smoke   each target over its checked-in corpus, then FUZZ_SMOKE_SECONDS (default 3)
#                     of mutation: part of `make test`; skipped (and said so) without nightly
#   make fuzz-corpus  (re)writes the seed inputs from tests/data into fuzz/corpus/ (adds only)
#
# FUZZ_TARGETS=ffi_sign make fuzz picks targets. fuzz/README.md lists them and their inputs.

# Rules here must not become `make`'s default goal (the Makefile's first rule, demo).
doku_saved_goal := $(.DEFAULT_GOAL)

FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3

.PHONY: fuzz fuzz-smoke fuzz-corpus

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh fuzz

fuzz-smoke:
	FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) fuzz/run.sh smoke

fuzz-corpus:
	$(PYTHON3) fuzz/seed_corpus.py

PYTHON3 ?= python3

EXTRA_TESTS += fuzz-smoke

.DEFAULT_GOAL := $(doku_saved_goal)
