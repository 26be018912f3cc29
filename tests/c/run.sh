#!/usr/bin/env bash
# C test suite: builds tests/c/test_doku.c against include/doku.h and libdoku.so, then runs
# it twice: (a) built with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on
# when the environment allows it), (b) a plain build under valgrind's leak checker.
#
# Usage: LIBDIR=/abs/path/to/target/clib/dist tests/c/run.sh   (what `make ctest` does)
#
# Cross mode (scripts/cross/cross.sh test, `make cross-test`): when CROSS_CC is set, the
# same program is built with that cross compiler (CROSS_CFLAGS, CROSS_LDFLAGS link the
# packaged libdoku) into CROSS_BUILD and run once under CROSS_RUNNER (qemu-user or wine).
# The sanitizers and valgrind exist for the host only; the emulated run checks the ABI,
# the calling convention and every result on the target.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
vectors="$repo/tests/data/vectors.json"
cases="$repo/tests/data/cases.json"
seeds="$repo/tests/data/seeds"
build="${CROSS_BUILD:-$here/build}"
: "${LIBDIR:?set LIBDIR to the directory holding libdoku.so (make ctest does this)}"
CC="${CC:-cc}"

if [ -n "${CROSS_CC:-}" ]; then
  : "${CROSS_RUNNER:?set CROSS_RUNNER to the emulator command (scripts/cross/cross.sh does)}"
  mkdir -p "$build"
  python3 "$here/gen_vectors.py" "$vectors" "$seeds" "$build/vectors.h" "$cases" "$build/cases.h"
  exe="$build/test_doku${CROSS_EXE:-}"
  echo "== ctest: cross build with $CROSS_CC"
  # shellcheck disable=SC2086 # CROSS_CFLAGS, CROSS_LDFLAGS and CROSS_RUNNER are word lists
  "$CROSS_CC" -std=c11 -Wall -Wextra -Werror -g -O1 -I "$repo/include" -I "$build" $CROSS_CFLAGS \
    "$here/test_doku.c" -o "$exe" $CROSS_LDFLAGS
  echo "== ctest: run under $CROSS_RUNNER"
  # shellcheck disable=SC2086
  (cd "$build" && $CROSS_RUNNER "$exe")
  exit
fi

[ -f "$LIBDIR/libdoku.so" ] || { echo "ctest: $LIBDIR/libdoku.so not found (run make lib)" >&2; exit 1; }
[ -f "$vectors" ] || { echo "ctest: $vectors not found (tests/data/vectors.json)" >&2; exit 1; }
[ -f "$cases" ] || { echo "ctest: $cases not found (tests/data/cases.json)" >&2; exit 1; }
[ -d "$seeds" ] || { echo "ctest: $seeds not found (tests/data/seeds)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "ctest: valgrind is not installed (scripts/install-deps.sh)" >&2; exit 1; }

mkdir -p "$build"
python3 "$here/gen_vectors.py" "$vectors" "$seeds" "$build/vectors.h" "$cases" "$build/cases.h"

cflags=(-std=c11 -Wall -Wextra -Werror -g -I "$repo/include" -I "$build")
ldflags=(-L"$LIBDIR" -ldoku -Wl,-rpath,"$LIBDIR" -lpthread -ldl -lm)

# (a) AddressSanitizer + UndefinedBehaviorSanitizer ---------------------------------------
echo "== ctest: build with -fsanitize=address,undefined"
san=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
"$CC" "${cflags[@]}" "${san[@]}" -O1 "$here/test_doku.c" -o "$build/test_doku_asan" "${ldflags[@]}"

# LeakSanitizer needs ptrace, which some containers forbid. Probe it with a program that
# leaks on purpose: if LSan reports that leak it works; if it cannot run, say so and go on
# with detect_leaks=0 (valgrind below still checks for leaks).
printf '#include <stdlib.h>\nvoid *volatile p;\nint main(void){p=malloc(7);p=0;return 0;}\n' >"$build/lsan_probe.c"
"$CC" -fsanitize=address -g "$build/lsan_probe.c" -o "$build/lsan_probe"
probe_out="$(ASAN_OPTIONS=detect_leaks=1 "$build/lsan_probe" 2>&1 || true)"
if grep -q "detected memory leaks" <<<"$probe_out"; then
  detect_leaks=1
  echo "== ctest: LeakSanitizer works here: detect_leaks=1"
else
  detect_leaks=0
  echo "== ctest: NOTE: LeakSanitizer cannot run in this environment (ptrace restricted?):"
  sed 's/^/     | /' <<<"$probe_out" | head -5
  echo "== ctest: NOTE: running with ASAN_OPTIONS=detect_leaks=0; valgrind checks leaks below"
fi

echo "== ctest: run under ASan+UBSan"
ASAN_OPTIONS="detect_leaks=$detect_leaks:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$build/test_doku_asan"
echo "== ctest: ASan+UBSan run passed (detect_leaks=$detect_leaks)"

# (b) valgrind ----------------------------------------------------------------------------
# Only definite and indirect leaks are errors (and shown): the Rust runtime keeps a few
# per-thread allocations reachable until exit. The program's own closing line,
# "N passed, 0 failed", is the last line of a successful run.
echo "== ctest: plain build, run under valgrind"
"$CC" "${cflags[@]}" -O0 "$here/test_doku.c" -o "$build/test_doku" "${ldflags[@]}"
valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=1 "$build/test_doku"
