#!/usr/bin/env bash
# C benchmark: doku_sign vs a plain OpenSSL one-shot signature, and the SHA-256
# compression bound (bench/c/bench_sign.c). Links libdoku.a statically when that links
# cleanly, else libdoku.so. Prints numbers; never fails on speed.
#
# Usage: LIBDIR=/abs/path/to/target/clib/dist bench/c/run.sh   (what `make bench-c` does)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$here/build"
: "${LIBDIR:?set LIBDIR to the directory holding libdoku.a / libdoku.so (make bench-c does this)}"
CC="${CC:-cc}"

[ -f /usr/include/openssl/hmac.h ] || { echo "bench-c: OpenSSL headers missing (apt-get install libssl-dev)" >&2; exit 1; }
mkdir -p "$build"

cflags=(-std=c11 -O2 -Wall -Wextra -I "$repo/include")
src="$here/bench_sign.c"
bin="$build/bench_sign"

link_shared() {
  "$CC" "${cflags[@]}" "$src" -o "$bin" -L"$LIBDIR" -ldoku -Wl,-rpath,"$LIBDIR" \
    -lcrypto -lpthread -ldl -lm
}
if [ ! -f "$LIBDIR/libdoku.a" ]; then
  echo "== bench-c: no $LIBDIR/libdoku.a; linking libdoku.so"
  link_shared
elif "$CC" "${cflags[@]}" "$src" -o "$bin" "$LIBDIR/libdoku.a" -lcrypto -lpthread -ldl -lm \
     2>"$build/static-link.log"; then
  echo "== bench-c: linked statically against $LIBDIR/libdoku.a"
else
  echo "== bench-c: static link failed (see $build/static-link.log); linking libdoku.so"
  link_shared
fi

"$bin"
