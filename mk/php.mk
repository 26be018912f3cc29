# PHP binding (bindings/php): the FFI header, the PHPUnit suite, the FFI benchmark.
# Included by the Makefile.
#
#   make php-header         regenerates bindings/php/src/doku_php.h (cbindgen-php.toml)
#   make php-header-check   fails when it is stale or has a preprocessor line
#   make php-test           PHPUnit (Debian's phpunit) against libdoku and `doku sandbox`,
#                           after php-memcheck; Notification::fromRequest is tested with
#                           Debian's php-nyholm-psr7 (install-deps.sh apt installs it)
#   make php-memcheck       the FFI tests (PHPUnit group `memcheck`) once under valgrind:
#                           no memory error, no leak through libdoku (tests/memcheck.sh)
#   make bench-php          FFI sign vs PHP's hash_hmac (part of `make bench`)

# Rules here must not become `make`'s default goal (the Makefile's first rule, demo).
doku_saved_goal := $(.DEFAULT_GOAL)

PHP ?= php
PHPUNIT ?= phpunit
PHP_HEADER := bindings/php/src/doku_php.h
PHP_ENV = DOKU_LIBRARY=$(abspath $(CLIB))/libdoku.so DOKU_BIN=$(abspath target/debug/doku)

.PHONY: sandbox-bin php-header php-header-check php-test php-memcheck bench-php

# target/debug/doku, whose `doku sandbox` the PHP and C packaging tests start.
sandbox-bin:
	$(CARGO) build -p doku-sandbox --bin doku

php-header:
	@scripts/install-deps.sh cbindgen
	cbindgen --config cbindgen-php.toml --output $(PHP_HEADER) .

php-header-check:
	@scripts/install-deps.sh cbindgen
	@tmp=$$(mktemp) && cbindgen --config cbindgen-php.toml --output $$tmp . 2>/dev/null && \
	  if ! diff -u $(PHP_HEADER) $$tmp; then rm -f $$tmp; \
	    echo "$(PHP_HEADER) is stale: run 'make php-header' and commit it"; exit 1; fi; \
	  rm -f $$tmp; \
	  if grep -n '^[[:space:]]*#' $(PHP_HEADER); then \
	    echo "$(PHP_HEADER) has preprocessor lines, which FFI::cdef cannot parse"; exit 1; fi; \
	  echo "$(PHP_HEADER) is up to date"

php-test: lib sandbox-bin php-memcheck
	@scripts/install-deps.sh apt
	$(PHP_ENV) $(PHP) -d ffi.enable=1 "$$(command -v $(PHPUNIT))" -c bindings/php/phpunit.xml

# A double free or a use after free does not always crash; valgrind reports it. About
# 15 s: the classes that call libdoku in the PHPUnit process, run once (the script says which).
php-memcheck: lib sandbox-bin
	@scripts/install-deps.sh apt
	$(PHP_ENV) PHP=$(PHP) PHPUNIT="$$(command -v $(PHPUNIT))" bindings/php/tests/memcheck.sh

bench-php: lib
	@scripts/install-deps.sh apt
	DOKU_LIBRARY=$(abspath $(CLIB))/libdoku.so $(PHP) -d ffi.enable=1 bench/php/sign.php

EXTRA_BENCHES += bench-php

EXTRA_TESTS += php-header-check php-memcheck php-test

.DEFAULT_GOAL := $(doku_saved_goal)
