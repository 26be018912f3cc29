#!/usr/bin/env bash
# C packaging test: `make install` into a temporary PREFIX, then
#   1. the installed files: libdoku.so.X.Y.Z with soname libdoku.so.X and its links,
#      libdoku.a, doku.h, doku.pc;
#   2. bindings/c/example.c built with `cc example.c $(pkg-config --cflags --libs doku)`
#      (shared) and with libdoku.a (static), each run without a URL (signing, checked
#      against `doku sign`) and against a `doku sandbox` subprocess (the payment-code flow);
#   3. a C++ program including doku.h;
#   4. bindings/c/test_threads.c (8 threads sharing one doku_client) under ThreadSanitizer
#      (helgrind when TSan cannot run here), which must report nothing.
#
# Usage: DOKU_BIN=/abs/target/debug/doku DOKU_VERSION=0.1.0 bindings/c/run-tests.sh
# (what `make c-packaging-test` runs, after `make lib` and `cargo build --bin doku`).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$here/build"
: "${DOKU_BIN:?set DOKU_BIN to target/debug/doku}"
: "${DOKU_VERSION:?set DOKU_VERSION (Cargo.toml version)}"
CC="${CC:-cc}"
CXX="${CXX:-c++}"
major="${DOKU_VERSION%%.*}"
PREFIX="$(mktemp -d)"
lib="$PREFIX/lib"
sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
  rm -rf "$PREFIX"
}
trap cleanup EXIT
export PKG_CONFIG_PATH="$lib/pkgconfig"
export DOKU_CLIENT_ID="MCH-C-PACKAGING-0001"
export DOKU_SECRET_KEY="SK-c-packaging-not-a-real-key"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check "description" command...
  local what="$1"; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

rm -rf "$build"
mkdir -p "$build"
cflags=(-std=c11 -Wall -Wextra -Werror -g)

# --- 1. installed files --------------------------------------------------------------------
make -C "$repo" --no-print-directory install PREFIX="$PREFIX" >"$build/install.log" 2>&1 ||
  { cat "$build/install.log"; echo "c-packaging: make install failed"; exit 1; }
echo "== c-packaging: make install PREFIX=$PREFIX"
check "libdoku.so.$DOKU_VERSION is a file" test -f "$lib/libdoku.so.$DOKU_VERSION" -a ! -L "$lib/libdoku.so.$DOKU_VERSION"
check "libdoku.so.$major -> libdoku.so.$DOKU_VERSION" test "$(readlink "$lib/libdoku.so.$major")" = "libdoku.so.$DOKU_VERSION"
check "libdoku.so -> libdoku.so.$major" test "$(readlink "$lib/libdoku.so")" = "libdoku.so.$major"
check "soname is libdoku.so.$major" grep -q "(SONAME).*\[libdoku.so.$major\]" <(readelf -d "$lib/libdoku.so.$DOKU_VERSION")
check "libdoku.a" test -f "$lib/libdoku.a"
check "doku.h is include/doku.h" cmp -s "$PREFIX/include/doku.h" "$repo/include/doku.h"
check "pkg-config --modversion doku = $DOKU_VERSION" test "$(pkg-config --modversion doku)" = "$DOKU_VERSION"
check "pkg-config --cflags doku" test "$(pkg-config --cflags doku | xargs)" = "-I$PREFIX/include"
check "pkg-config --libs doku" test "$(pkg-config --libs doku | xargs)" = "-L$lib -ldoku"
check "libdoku.so exports no sandbox" bash -c "! nm -D --defined-only '$lib/libdoku.so' | grep -qi sandbox"

# --- 2. example.c, shared and static -------------------------------------------------------
echo "== c-packaging: build example.c with pkg-config"
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" "$here/example.c" $(pkg-config --cflags --libs doku) -o "$build/example"
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" "$here/example.c" $(pkg-config --cflags doku) $(pkg-config --variable=static_libs doku) \
  -o "$build/example_static"
check "shared example NEEDs libdoku.so.$major" grep -q "(NEEDED).*\[libdoku.so.$major\]" <(readelf -d "$build/example")
check "static example needs no libdoku.so" bash -c "! readelf -d '$build/example_static' | grep -q libdoku"

run_shared() { LD_LIBRARY_PATH="$lib" "$build/example" "$@"; }
run_static() { "$build/example_static" "$@"; }

body='{"order":{"invoice_number":"INV-20210125-0001","amount":150000},"online_to_offline_info":{"expired_time":60,"reusable_status":false},"customer":{"name":"Taufik Ismail"}}'
expected_sig="$("$DOKU_BIN" sign --client-id "$DOKU_CLIENT_ID" --request-id 5b8e438f-fac1-4103-9e0e-ebfdc38b5acb \
  --timestamp 2020-08-11T08:45:42Z --target /alfa-online-to-offline/v2/payment-code --body "$body")"
for kind in shared static; do
  out="$("run_$kind" 2>&1)" || { fail "$kind example (signing) exited non-zero"; echo "$out"; continue; }
  check "$kind example signs like doku sign" grep -qxF "Signature: $expected_sig" <<<"$out"
  check "$kind example verifies" grep -qx "verify: ok" <<<"$out"
  check "$kind example reports libdoku $DOKU_VERSION" grep -qx "libdoku $DOKU_VERSION" <<<"$out"
done

# A sandbox for the flows below, stopped by closing its stdin (and killed on exit).
coproc SANDBOX { exec "$DOKU_BIN" sandbox --port 0 --merchant "$DOKU_CLIENT_ID:$DOKU_SECRET_KEY" 2>"$build/sandbox.log"; }
sandbox_pid=$SANDBOX_PID
line=""
read -r -t 20 line <&"${SANDBOX[0]}" || true
url="${line##* }"
if [[ "$url" != http://127.0.0.1:* ]]; then
  echo "c-packaging: doku sandbox did not start: $line"; cat "$build/sandbox.log"; exit 1
fi
echo "== c-packaging: doku sandbox at $url"

for kind in shared static; do
  out="$("run_$kind" "$url" 2>&1)" || { fail "$kind example against the sandbox exited non-zero"; echo "$out"; continue; }
  check "$kind example: payment code" grep -qE '^invoice INV-C-[0-9-]+: payment code 88888[0-9]{11}$' <<<"$out"
  check "$kind example: check status PENDING" grep -qx "check status: PENDING" <<<"$out"
  check "$kind example: validation error names the field" grep -q '"field":"order.amount"' <<<"$out"
done
echo "$out" | sed 's/^/     | /'

# --- 3. C++ ----------------------------------------------------------------------------------
cat >"$build/smoke.cpp" <<'EOF'
#include <doku.h>
#include <cstdio>
#include <cstring>
int main() {
    char *sig = nullptr;
    doku_status st = doku_sign("C", "R", "2020-08-11T08:45:42Z", "/x", nullptr, 0, "SK", &sig);
    std::printf("%s %s\n", doku_version(), st == DOKU_OK ? sig : "error");
    doku_string_free(sig);
    return st == DOKU_OK ? 0 : 1;
}
EOF
# shellcheck disable=SC2046
if "$CXX" -std=c++11 -Wall -Wextra -Werror "$build/smoke.cpp" $(pkg-config --cflags --libs doku) -o "$build/smoke_cpp"; then
  check "C++ program using doku.h" bash -c "LD_LIBRARY_PATH='$lib' '$build/smoke_cpp' | grep -q '^$DOKU_VERSION HMACSHA256='"
else
  fail "C++ program using doku.h does not compile"
fi

# --- 4. threads under ThreadSanitizer ---------------------------------------------------------
python3 "$repo/tests/c/gen_vectors.py" "$repo/tests/data/vectors.json" "$repo/tests/data/seeds" "$build/vectors.h"
tsan_opts="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$here/tsan.supp"

# Can TSan run here, and does it see a race? A probe with a deliberate one must be reported.
cat >"$build/tsan_probe.c" <<'EOF'
#include <pthread.h>
int shared;
static void *bump(void *arg) { (void)arg; shared++; return 0; }
int main(void) {
    pthread_t a, b;
    pthread_create(&a, 0, bump, 0);
    pthread_create(&b, 0, bump, 0);
    pthread_join(a, 0);
    pthread_join(b, 0);
    return 0;
}
EOF
use_tsan=0
if [ "${DOKU_THREAD_TOOL:-tsan}" = helgrind ]; then
  echo "tsan not tried: DOKU_THREAD_TOOL=helgrind" >"$build/tsan_probe.log"
elif "$CC" -fsanitize=thread -g -O1 "$build/tsan_probe.c" -o "$build/tsan_probe" -lpthread 2>"$build/tsan_probe.log"; then
  probe="$(TSAN_OPTIONS="exitcode=66" "$build/tsan_probe" 2>&1 || true)"
  if grep -q "WARNING: ThreadSanitizer: data race" <<<"$probe"; then use_tsan=1; fi
fi

thread_src=("$here/test_threads.c" -I "$build")
if [ "$use_tsan" = 1 ]; then
  echo "== c-packaging: thread test under ThreadSanitizer (it reported the probe's deliberate race)"
  # shellcheck disable=SC2046
  "$CC" "${cflags[@]}" -O1 -fsanitize=thread "${thread_src[@]}" $(pkg-config --cflags --libs doku) -lpthread \
    -o "$build/test_threads_tsan"
  set +e
  LD_LIBRARY_PATH="$lib" TSAN_OPTIONS="$tsan_opts" "$build/test_threads_tsan" "$url" >"$build/threads.out" 2>"$build/threads.err"
  rc=$?
  set -e
  tool="ThreadSanitizer"
  reports="$(grep -c "WARNING: ThreadSanitizer" "$build/threads.err" || true)"
else
  echo "== c-packaging: NOTE: ThreadSanitizer cannot run here; thread test under valgrind --tool=helgrind"
  sed 's/^/     | /' "$build/tsan_probe.log" 2>/dev/null | head -5 || true
  # shellcheck disable=SC2046
  "$CC" "${cflags[@]}" -O1 "${thread_src[@]}" $(pkg-config --cflags --libs doku) -lpthread -o "$build/test_threads"
  set +e
  LD_LIBRARY_PATH="$lib" valgrind --tool=helgrind --error-exitcode=66 --suppressions="$here/helgrind.supp" \
    "$build/test_threads" "$url" \
    >"$build/threads.out" 2>"$build/threads.err"
  rc=$?
  set -e
  tool="helgrind"
  reports="$(grep -cE "Possible data race|lock order" "$build/threads.err" || true)"
fi
sed 's/^/     | /' "$build/threads.out"
check "thread test exits 0 under $tool" test "$rc" = 0
check "thread test: all checks passed" grep -qE '^[0-9]+ passed, 0 failed$' "$build/threads.out"
if ! check "$tool reported nothing" test "$reports" = 0; then
  head -60 "$build/threads.err"
fi

exec {SANDBOX[1]}>&-  # end of input: the sandbox stops
wait "$sandbox_pid" 2>/dev/null || true
sandbox_pid=""

echo "c-packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
