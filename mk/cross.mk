# POS builds (scripts/cross/cross.sh): libdoku for ARM Linux and 32/64-bit Windows, tested
# under emulation. Included by the Makefile.
#
#   make cross        release artefacts (`dist` profile, stripped) in target/cross/dist:
#                     doku-<version>-<target>/ and doku-<version>-<target>.tar.gz (Linux)
#                     or .zip (Windows), for each of CROSS_TARGETS
#   make cross-test   tests/c against each packaged library under qemu-user or wine, the
#                     Windows import-table check (Windows 7), the VB6 shim's test, and the
#                     README's .NET P/Invoke example under mono (against make lib's library)
#
# Both install what they need first (scripts/install-deps.sh cross); `make test` does not
# need any of it. One target: make cross-test CROSS_TARGETS=aarch64-unknown-linux-gnu

# Rules here must not become `make`'s default goal (the Makefile's first rule, demo).
doku_saved_goal := $(.DEFAULT_GOAL)

CROSS_TARGETS ?= aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf \
                 x86_64-win7-windows-gnu i686-win7-windows-gnu

.PHONY: cross cross-deps cross-test

cross-deps:
	@scripts/install-deps.sh cross

cross: cross-deps
	scripts/cross/cross.sh build $(CROSS_TARGETS)

# `lib` (the host library, already built by make test) runs the README's .NET example.
cross-test: cross lib
	scripts/cross/cross.sh test $(CROSS_TARGETS)
	scripts/cross/cross.sh dotnet $(abspath $(CLIB))

.DEFAULT_GOAL := $(doku_saved_goal)
