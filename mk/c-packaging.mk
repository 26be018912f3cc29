# C packaging (bindings/c): `make install PREFIX=...` and its test. Included by the Makefile.
#
#   make install PREFIX=/usr/local     libdoku.so.X.Y.Z (+ libdoku.so.X, libdoku.so links),
#                                      libdoku.a, doku.h, pkgconfig/doku.pc; DESTDIR works
#   make c-packaging-test              installs into a temp PREFIX, builds bindings/c/example.c
#                                      with pkg-config (shared and static) and the thread test
#                                      (ThreadSanitizer), and runs them against `doku sandbox`

# Rules here must not become `make`'s default goal (the Makefile's first rule, demo).
doku_saved_goal := $(.DEFAULT_GOAL)

PREFIX ?= /usr/local
libdir ?= $(PREFIX)/lib
includedir ?= $(PREFIX)/include
DOKU_VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
DOKU_SOMAJOR := $(firstword $(subst ., ,$(DOKU_VERSION)))
# What a program linking libdoku.a also needs (rustc --print native-static-libs, Linux).
DOKU_NATIVE_STATIC_LIBS := -lpthread -ldl -lm -lrt -lutil -lgcc_s

.PHONY: install uninstall c-packaging-test clib-soname-link

# build.rs gives libdoku.so the soname libdoku.so.$(DOKU_SOMAJOR), so whatever links it from
# target/clib/dist (tests/c, bench/c) records that name: `make lib` also provides it there.
lib: clib-soname-link
clib-soname-link:
	@mkdir -p $(CLIB) && ln -sfn libdoku.so $(CLIB)/libdoku.so.$(DOKU_SOMAJOR)

install: lib
	install -d "$(DESTDIR)$(libdir)/pkgconfig" "$(DESTDIR)$(includedir)"
	install -m 0755 $(CLIB)/libdoku.so "$(DESTDIR)$(libdir)/libdoku.so.$(DOKU_VERSION)"
	ln -sfn libdoku.so.$(DOKU_VERSION) "$(DESTDIR)$(libdir)/libdoku.so.$(DOKU_SOMAJOR)"
	ln -sfn libdoku.so.$(DOKU_SOMAJOR) "$(DESTDIR)$(libdir)/libdoku.so"
	install -m 0644 $(CLIB)/libdoku.a "$(DESTDIR)$(libdir)/libdoku.a"
	install -m 0644 include/doku.h "$(DESTDIR)$(includedir)/doku.h"
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(libdir)|g' -e 's|@INCLUDEDIR@|$(includedir)|g' \
	    -e 's|@VERSION@|$(DOKU_VERSION)|g' -e 's|@NATIVE_STATIC_LIBS@|$(DOKU_NATIVE_STATIC_LIBS)|g' \
	    bindings/c/doku.pc.in > "$(DESTDIR)$(libdir)/pkgconfig/doku.pc"
	@echo "installed libdoku $(DOKU_VERSION) into $(DESTDIR)$(PREFIX) (system-wide: run ldconfig)"

uninstall:
	rm -f "$(DESTDIR)$(libdir)/libdoku.so.$(DOKU_VERSION)" "$(DESTDIR)$(libdir)/libdoku.so.$(DOKU_SOMAJOR)" \
	      "$(DESTDIR)$(libdir)/libdoku.so" "$(DESTDIR)$(libdir)/libdoku.a" \
	      "$(DESTDIR)$(includedir)/doku.h" "$(DESTDIR)$(libdir)/pkgconfig/doku.pc"

# run-tests.sh runs `make install PREFIX=<a temporary directory>` itself (a recipe line naming
# the make variable would run even under `make -n`).
c-packaging-test: lib sandbox-bin
	@scripts/install-deps.sh apt
	DOKU_BIN=$(abspath target/debug/doku) DOKU_VERSION=$(DOKU_VERSION) bindings/c/run-tests.sh

EXTRA_TESTS += c-packaging-test

.DEFAULT_GOAL := $(doku_saved_goal)
