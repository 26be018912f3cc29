# doku-direct: the README's commands. `make demo` runs the end-to-end demo against the
# embedded sandbox; `make test` runs every check (it installs what a fresh machine lacks).
SHELL := /bin/bash
CARGO ?= cargo
CBINDGEN_VERSION := 0.29.4
# The C library: the doku-direct crate alone (the emulator and its HTTP stack live in the
# doku-sandbox crate), with the `dist` profile (fat LTO), in its own target dir.
CLIB_TARGET := target/clib
CLIB := $(CLIB_TARGET)/dist

# Each binding adds its own targets and appends its test target to EXTRA_TESTS in mk/*.mk
# (mk/python.mk, mk/php.mk, ...), so the one `make test` runs every suite.
EXTRA_TESTS :=
EXTRA_BENCHES :=
-include mk/*.mk
# A fragment's first rule must not become the default: plain `make` runs the demo.
.DEFAULT_GOAL := demo

.PHONY: help demo test deps lint fmt-check clippy header header-check rust-test lib ctest bench bench-rust bench-c

# The dev profile: half the CPU time of an optimised build on a fresh clone, and the same
# artefacts `make test` builds, so neither invalidates the other. The demo runs in ms.
demo:
	$(CARGO) run -p doku-sandbox --bin doku -- demo

help:
	@echo "make demo               the main job: the payment flow against the embedded sandbox"
	@echo "make test               every check (installs what the machine lacks first)"
	@echo "make lint               cargo fmt --check and clippy on the workspace"
	@echo "make rust-test          the Rust tests of every crate, and the doctests"
	@echo "make ctest              the C tests, under ASan+UBSan and valgrind"
	@echo "make python-test        pip install . into .venv, pytest, mypy --strict, stubtest"
	@echo "make php-test           the PHPUnit suite (FFI) against libdoku and doku sandbox"
	@echo "make c-packaging-test   make install into a temp PREFIX, pkg-config, the thread test"
	@echo "make browser-test       the sandbox dashboard in headless Chromium (screenshot in target/)"
	@echo "make cross              POS artefacts: ARM Linux, 32/64-bit Windows 7+ (target/cross/dist)"
	@echo "make cross-test         the C suite against each POS artefact under qemu-user or wine"
	@echo "make fuzz               every cargo fuzz target for FUZZ_SECONDS (nightly; fuzz/README.md)"
	@echo "make fuzz-smoke         the fuzz targets over their checked-in corpus (part of make test)"
	@echo "make lib                libdoku.so and libdoku.a in $(CLIB)"
	@echo "make install            libdoku, doku.h and doku.pc into PREFIX (default /usr/local)"
	@echo "make header             regenerate include/doku.h (and php-header for the PHP one)"
	@echo "make bench              every benchmark, as ratios against a peer in the same run"
	@echo "cargo install --path sandbox   put the doku command on PATH"

test: deps fmt-check clippy header-check rust-test ctest $(EXTRA_TESTS)
	@echo "make test: all checks passed"

deps:
	@scripts/install-deps.sh

lint: fmt-check clippy

fmt-check:
	$(CARGO) fmt --all -- --check

# The whole workspace: the core, the sandbox and the Python extension crate.
clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Regenerate include/doku.h with the pinned cbindgen.
header:
	@scripts/install-deps.sh cbindgen
	cbindgen --config cbindgen.toml --output include/doku.h .

# Fails when include/doku.h is not what the pinned cbindgen generates now.
header-check:
	@scripts/install-deps.sh cbindgen
	@tmp=$$(mktemp) && cbindgen --config cbindgen.toml --output $$tmp . 2>/dev/null && \
	  if ! diff -u include/doku.h $$tmp; then rm -f $$tmp; \
	    echo "include/doku.h is stale: run 'make header' and commit it"; exit 1; fi; \
	  rm -f $$tmp; echo "include/doku.h is up to date"

# libdoku never links an HTTP server: the core's dependency tree has no hyper or tokio.
# The tests run without the bench targets (`--all-targets` would run benches/sign.rs and
# sandbox/benches/load.rs in debug mode and print numbers nobody checks): benchmarks run
# only under `make bench`. They still compile in `make test`: clippy --all-targets builds them.
rust-test:
	@if $(CARGO) tree -p doku-direct -e normal,build | grep -E ' (hyper|tokio)[- ]'; then \
	  echo "libdoku's dependency tree holds the emulator's HTTP stack"; exit 1; fi
	$(CARGO) test --workspace --lib --bins --tests --examples
	$(CARGO) test --workspace --doc

# libdoku.so and libdoku.a for C, PHP and POS consumers.
lib:
	CARGO_TARGET_DIR=$(CLIB_TARGET) $(CARGO) build --profile dist -p doku-direct --lib

ctest: lib
	LIBDIR=$(abspath $(CLIB)) tests/c/run.sh

bench: bench-rust bench-c $(EXTRA_BENCHES)

bench-rust:
	$(CARGO) bench -p doku-direct --bench sign
	$(CARGO) bench -p doku-sandbox --bench sandbox_load

bench-c: lib
	LIBDIR=$(abspath $(CLIB)) bench/c/run.sh
