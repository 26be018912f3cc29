#!/usr/bin/env bash
# The PHP suite's FFI tests under valgrind memcheck (`make php-memcheck`, part of
# `make php-test` and `make test`): the PHPUnit group `memcheck` (the classes that call
# libdoku in the PHPUnit process itself: the vectors, the shared cases, notifications,
# every exception, the client lifecycle and error contract, the sandbox client, key
# rotation, clock skew (ClockSkewTest's skewed DOKU is a child php -S, not followed; the
# client's calls are), PSR-7 and the signed test notifications), run once.
# Left out: LeakTest (100k calls per check; RSS covers leaks there), SecretsInTracesTest,
# NotifyReceiverTest and DokuReadmeHandlerTest, whose libdoku calls run in child PHP
# processes that valgrind does not follow.
#
# It fails on any memory error valgrind reports (invalid read or write, use after free,
# double free, uninitialised value: --error-exitcode), and on any definitely or indirectly
# lost block whose allocation stack passes through libdoku. ("Possibly lost" is shown but
# not judged: Rust's std keeps a once-per-thread handle behind an interior pointer.) PHP's own shutdown leaks (objects the engine
# does not free under USE_ZEND_ALLOC=0) are counted and printed, not judged. A control run
# first leaks one libdoku string on purpose and must be caught, so the leak check is known
# to work.
#
# Needs DOKU_LIBRARY and DOKU_BIN (mk/php.mk sets them); PHP and PHPUNIT may be overridden.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
php=${PHP:-php}
phpunit=${PHPUNIT:-$(command -v phpunit)}
log=$(mktemp "${TMPDIR:-/tmp}/doku-php-memcheck.XXXXXX")
control_log=$(mktemp "${TMPDIR:-/tmp}/doku-php-memcheck-control.XXXXXX")
trap 'rm -f "$log" "$control_log"' EXIT

# USE_ZEND_ALLOC=0: PHP allocates with malloc, so valgrind sees every block. pcre.jit=0:
# JIT-compiled code confuses memcheck. ZEND_DONT_UNLOAD_MODULES keeps symbols at exit.
run_valgrind() {
  local out=$1
  shift
  USE_ZEND_ALLOC=0 ZEND_DONT_UNLOAD_MODULES=1 valgrind --error-exitcode=99 \
    --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=none \
    --num-callers=40 --log-file="$out" \
    "$php" -d ffi.enable=1 -d pcre.jit=0 -d memory_limit=1G "$@"
}

# Bytes in definitely or indirectly lost records whose stack names libdoku.
libdoku_leaks() {
  awk '
    / are (definitely|indirectly|possibly) lost in loss record / {
      flush(); bytes = $2; gsub(/,/, "", bytes); inrec = ($0 !~ /possibly/); hit = 0; next
    }
    inrec && /^==[0-9]+== *$/ { flush(); next }
    inrec && /libdoku|doku_/ { hit = 1 }
    function flush() { if (inrec && hit) total += bytes; inrec = 0; hit = 0 }
    END { flush(); print total + 0 }
  ' "$1"
}

echo "php-memcheck: control: one doku_sign string leaked on purpose must be reported"
run_valgrind "$control_log" -r 'require $argv[1]; $ffi = Doku\Direct\Internal\Native::ffi();
  $ffi->doku_sign("C", "R", "2020-08-11T08:45:42Z", "/x", null, 0, "SK", Doku\Direct\Internal\Native::$outAddr);' \
  "$here/../autoload.php" || { cat "$control_log"; echo "php-memcheck: the control run failed"; exit 1; }
control=$(libdoku_leaks "$control_log")
if [ "$control" -eq 0 ]; then
  cat "$control_log"
  echo "php-memcheck: the deliberate libdoku leak was not found: the leak check is blind"
  exit 1
fi
echo "php-memcheck: control caught ${control} leaked bytes from libdoku"

echo "php-memcheck: PHPUnit --group memcheck under valgrind"
status=0
run_valgrind "$log" "$phpunit" -c "$here/../phpunit.xml" --group memcheck || status=$?
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -1 | tr -d ,)
php_lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1 | tr -d ,)
doku_lost=$(libdoku_leaks "$log")
echo "php-memcheck: PHPUnit exit ${status}; valgrind errors: ${errors:-?}; leaked through libdoku: ${doku_lost} bytes; PHP's own shutdown leaks (not judged): ${php_lost:-0} bytes"
if [ "$status" -ne 0 ] || [ "${errors:-1}" != 0 ] || [ "$doku_lost" -ne 0 ]; then
  cat "$log"
  echo "php-memcheck: FAILED (exit ${status})"
  exit 1
fi
