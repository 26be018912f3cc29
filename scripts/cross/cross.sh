#!/usr/bin/env bash
# POS builds of libdoku: ARM Linux and 32/64-bit Windows, built here and tested under
# emulation (qemu-user, wine). `make cross` and `make cross-test` call this script.
#
#   scripts/cross/cross.sh build [TARGET...]   build, strip and package into target/cross/dist
#   scripts/cross/cross.sh test  [TARGET...]   tests/c under qemu-user / wine against the
#                                              packaged libraries; Windows import-table check
#   scripts/cross/cross.sh dotnet LIBDIR       the README's .NET example under mono (host lib)
#   scripts/cross/cross.sh targets             the default targets
#
# Why this toolchain. rustup cannot download targets here (no network but the package
# registries), so the compiler is Debian's rustc-web/cargo-web (1.96) and each target's
# standard library is built from Debian's rust-web-src with -Zbuild-std (unstable, hence
# RUSTC_BOOTSTRAP=1 on these commands only). The host `cargo` (rustup) is not touched:
# everything lands in target/cross, so host builds are never invalidated. Debian's cross
# gcc / mingw-w64 are the linkers and the C compilers for ring. The Windows targets are the
# *-win7-windows-gnu ones: their std and getrandom avoid ProcessPrng (bcryptprimitives.dll,
# Windows 10+; wine 8 lacks it too), so one DLL serves Windows 7 / POSReady 7 tills up to
# Windows 11, and the import check below keeps it that way. (The *-pc-windows-gnu targets
# are not offered: wine cannot run them, so they could not be tested here.) The win7
# targets link gcc's own crtbegin.o, which registers the unwind tables, so unlike
# i686-pc-windows-gnu they need no rsbegin.o/rsend.o from library/rtstartup.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
CROSS_DIR="$repo/target/cross"
BUILD_DIR="$CROSS_DIR/build"       # CARGO_TARGET_DIR
DIST_DIR="$CROSS_DIR/dist"         # doku-<version>-<target>/ and its archive
TOOLS_DIR="$CROSS_DIR/tools"       # the 32-bit wine loader, wine prefixes, the VB6 shim build
TEST_DIR="$CROSS_DIR/test"
RUSTC_WEB="${RUSTC_WEB:-/usr/bin/rustc}"
CARGO_WEB="${CARGO_WEB:-/usr/bin/cargo}"
RUST_SRC=/usr/lib/rustlib/src/rust
DEFAULT_TARGETS=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf
                 x86_64-win7-windows-gnu i686-win7-windows-gnu)
VERSION="$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)"
SOMAJOR="${VERSION%%.*}"

die() { echo "cross: $*" >&2; exit 1; }
log() { echo "== cross: $*"; }

# Per-target facts: the GNU tool prefix, whether it is Windows, and the emulator.
tool_prefix() {
  case "$1" in
    aarch64-unknown-linux-gnu) echo aarch64-linux-gnu ;;
    armv7-unknown-linux-gnueabihf) echo arm-linux-gnueabihf ;;
    x86_64-win7-windows-gnu) echo x86_64-w64-mingw32 ;;
    i686-win7-windows-gnu) echo i686-w64-mingw32 ;;
    *) die "unknown target $1 (known: ${DEFAULT_TARGETS[*]})" ;;
  esac
}
is_windows() { [[ "$1" == *-windows-gnu ]]; }
pkg_name() { echo "doku-$VERSION-$1"; }

check_tools() {
  [ -x "$RUSTC_WEB" ] && [ -x "$CARGO_WEB" ] && [ -d "$RUST_SRC/library/std" ] ||
    die "Debian's rustc-web, cargo-web and rust-web-src are missing: run scripts/install-deps.sh cross"
  local t
  for t in "$@"; do
    command -v "$(tool_prefix "$t")-gcc" >/dev/null ||
      die "$(tool_prefix "$t")-gcc is missing: run scripts/install-deps.sh cross"
  done
}

# Builds libdoku for one target with the `dist` profile (fat LTO, as `make lib`), the
# doku-direct crate only. Prints rustc's native-static-libs line into native-static-libs.txt.
build_one() {
  local t="$1" p tu out
  p="$(tool_prefix "$t")"
  tu="$(echo "$t" | tr 'a-z-' 'A-Z_')"
  log "build $t"
  local start=$SECONDS
  out="$CROSS_DIR/logs/build-$t.log"
  mkdir -p "$CROSS_DIR/logs"
  if ! env RUSTC="$RUSTC_WEB" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$BUILD_DIR" \
      "CARGO_TARGET_${tu}_LINKER=$p-gcc" \
      "CC_${t//-/_}=$p-gcc" "AR_${t//-/_}=$p-ar" \
      "$CARGO_WEB" rustc -Zbuild-std=std,panic_unwind --target "$t" --profile dist \
      -p doku-direct --lib --locked -- --print=native-static-libs >"$out" 2>&1; then
    tail -n 40 "$out" >&2
    die "build of $t failed (whole log: $out)"
  fi
  sed -n 's/.*native-static-libs: //p' "$out" | tail -n 1 >"$BUILD_DIR/$t/dist/native-static-libs.txt"
  log "built $t in $((SECONDS - start)) s"
}

# The newest glibc symbol version a Linux library needs: the oldest glibc it runs on.
glibc_needed() {
  "$(tool_prefix "$1")-objdump" -T "$2" | grep -o 'GLIBC_[0-9.]*' | sort -t. -k1,1 -k2,2n -k3,3n -u |
    sed 's/GLIBC_//' | sort -V | tail -n 1
}

package_one() {
  local t="$1" p name pkg out native
  p="$(tool_prefix "$t")"
  name="$(pkg_name "$t")"
  pkg="$DIST_DIR/$name"
  out="$BUILD_DIR/$t/dist"
  native="$(cat "$out/native-static-libs.txt")"
  rm -rf "$pkg" "$pkg.tar.gz" "$pkg.zip" "$pkg.sha256"
  mkdir -p "$pkg/include" "$pkg/lib"
  cp include/doku.h "$pkg/include/"
  if is_windows "$t"; then
    mkdir -p "$pkg/bin"
    cp "$out/doku.dll" "$pkg/bin/doku.dll"
    "$p-strip" --strip-unneeded "$pkg/bin/doku.dll"
    cp "$out/libdoku.dll.a" "$pkg/lib/libdoku.dll.a"
    cp "$out/libdoku.a" "$pkg/lib/libdoku.a"
    "$p-strip" --strip-debug "$pkg/lib/libdoku.a"
    # doku.def: the exports, for `lib /def:doku.def` (MSVC) or dlltool.
    { echo "LIBRARY doku.dll"; echo "EXPORTS";
      "$p-objdump" -p "$pkg/bin/doku.dll" |
        awk '/\[Ordinal\/Name Pointer\] Table/{on=1;next} on && /^[ \t]*\[/{print "    " $NF} on && /^$/{on=0}'
    } >"$pkg/lib/doku.def"
    grep -q '^    doku_sign$' "$pkg/lib/doku.def" || die "$t: doku.def has no doku_sign export"
    if [[ "$t" == i686-* ]]; then vb6_shim "$t" "$pkg"; fi
  else
    cp "$out/libdoku.so" "$pkg/lib/libdoku.so.$VERSION"
    "$p-strip" --strip-unneeded "$pkg/lib/libdoku.so.$VERSION"
    ln -sfn "libdoku.so.$VERSION" "$pkg/lib/libdoku.so.$SOMAJOR"
    ln -sfn "libdoku.so.$SOMAJOR" "$pkg/lib/libdoku.so"
    cp "$out/libdoku.a" "$pkg/lib/libdoku.a"
    "$p-strip" --strip-debug "$pkg/lib/libdoku.a"
    mkdir -p "$pkg/lib/pkgconfig"
    # Relocatable: prefix is wherever the folder is unpacked.
    sed -e 's|@PREFIX@|${pcfiledir}/../..|g' -e 's|@LIBDIR@|${prefix}/lib|g' \
        -e 's|@INCLUDEDIR@|${prefix}/include|g' -e "s|@VERSION@|$VERSION|g" \
        -e "s|@NATIVE_STATIC_LIBS@|$native|g" bindings/c/doku.pc.in >"$pkg/lib/pkgconfig/doku.pc"
  fi
  write_readme "$t" "$pkg" "$native"
  write_licenses "$t" "$pkg"
  (cd "$pkg" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort |
     xargs sha256sum >SHA256SUMS)
  if is_windows "$t"; then
    (cd "$DIST_DIR" && python3 -m zipfile -c "$name.zip" "$name" >/dev/null)
  else
    tar -C "$DIST_DIR" --owner=0 --group=0 --numeric-owner -czf "$pkg.tar.gz" "$name"
  fi
  (cd "$DIST_DIR" && sha256sum "$name.$(is_windows "$t" && echo zip || echo tar.gz)" >"$name.sha256")
  log "packaged $pkg ($(du -b "$(shared_lib "$t" "$pkg")" | cut -f1) bytes stripped shared library)"
}

# VB6 calls stdcall only: doku_vb6.dll gives every libdoku function a stdcall twin
# (scripts/cross/vb6/gen_shim.py writes it from doku.h). 32-bit only, as VB6 is.
vb6_shim() {
  local t="$1" pkg="$2" p work="$TOOLS_DIR/vb6/$1"
  p="$(tool_prefix "$t")"
  rm -rf "$work"; mkdir -p "$work" "$pkg/vb6"
  python3 scripts/cross/vb6/gen_shim.py include/doku.h "$pkg/vb6/doku_vb6.c"
  "$p-gcc" -shared -O2 -std=c11 -Wall -Wextra -Werror -I include -o "$work/doku_vb6.dll" \
    "$pkg/vb6/doku_vb6.c" "$pkg/lib/libdoku.dll.a" -Wl,--kill-at -static-libgcc
  # stdcall means the callee pops its arguments: every doku_vb6_X@N (N > 0) must return
  # with `ret $N`. (With no arguments the two conventions are the same code.)
  "$p-objdump" -d "$work/doku_vb6.dll" | awk '
    /^[0-9a-f]+ <_?doku_vb6_[a-z_]+@[0-9]+>:$/ { if (fn != "" && !ok) bad = bad " " fn
      fn = $2; n = fn; sub(/.*@/, "", n); sub(/>:/, "", n); want = sprintf("$0x%x", n + 0); ok = (n + 0 == 0); nfn++; next }
    /^[0-9a-f]+ </ { if (fn != "" && !ok) bad = bad " " fn; fn = ""; next }
    fn != "" && /\tret / { if ($NF == want) ok = 1 }
    END { if (fn != "" && !ok) bad = bad " " fn
          if (nfn < 10 || bad != "") { print "not stdcall:" bad " (" nfn " functions)"; exit 1 }
          print nfn " stdcall functions" }' || die "$t: doku_vb6.dll is not stdcall"
  cp "$work/doku_vb6.dll" "$pkg/bin/doku_vb6.dll"
  "$p-strip" --strip-unneeded "$pkg/bin/doku_vb6.dll"
}

shared_lib() {
  if is_windows "$1"; then echo "$2/bin/doku.dll"; else echo "$2/lib/libdoku.so.$VERSION"; fi
}

# The oldest system each artefact runs on, as the package README and the test report say.
needs() {
  local t="$1" pkg="$2"
  case "$t" in
    *-windows-gnu) echo "Windows 7 SP1 / POSReady 7 or later (msvcrt.dll CRT; no Visual C++ runtime needed)" ;;
    *) local so; so="$(shared_lib "$t" "$pkg")"
       echo "Linux with glibc $(glibc_needed "$t" "$so") or later (needs $("$(tool_prefix "$t")-readelf" -d "$so" |
         sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd, - | sed 's/,/, /g'))" ;;
  esac
}

write_readme() {
  local t="$1" pkg="$2" native="$3"
  {
    echo "libdoku $VERSION for $t"
    echo "=========================================="
    echo
    echo "The doku-direct C library (DOKU Non-SNAP Direct API: signing, validated requests,"
    echo "notifications), built with the project's \`make cross\` and tested under emulation"
    echo "(\`make cross-test\`: the whole C suite, tests/c, against these very files)."
    echo
    echo "Runs on: $(needs "$t" "$pkg")."
    echo
    echo "Contents"
    if is_windows "$t"; then
      cat <<EOF
  bin/doku.dll        the shared library (stripped); ship it next to your .exe
  lib/libdoku.dll.a   import library for MinGW gcc/clang: gcc app.c -Iinclude lib/libdoku.dll.a
  lib/doku.def        the exports; MSVC import library: lib /def:doku.def /machine:$( [[ $t == i686* ]] && echo x86 || echo x64 ) /out:doku.lib
  lib/libdoku.a       static library (MinGW): gcc app.c -Iinclude lib/libdoku.a $native
  include/doku.h      the header: calling convention, threads and lifetimes are at its top
EOF
      if [[ "$t" == i686-* ]]; then cat <<EOF
  bin/doku_vb6.dll    for VB6, whose Declare calls only stdcall: doku_vb6_X is the stdcall
                      twin of each doku_X (same parameters and result); ship it next to
                      doku.dll. Source: vb6/doku_vb6.c (generated from doku.h)
EOF
      fi
    else
      cat <<EOF
  lib/libdoku.so.$VERSION (soname libdoku.so.$SOMAJOR, stripped) and its links
  lib/libdoku.a       static library: cc app.c -Iinclude lib/libdoku.a $native
  lib/pkgconfig/doku.pc  relocatable: PKG_CONFIG_PATH=\$PWD/lib/pkgconfig pkg-config --libs doku
  include/doku.h      the header: calling convention, threads and lifetimes are at its top
EOF
    fi
    cat <<EOF
  LICENSE.txt         licences of libdoku and of the Rust code compiled into it
  SHA256SUMS          checksums of every file here

Calling convention: plain C (cdecl on 32-bit Windows, never stdcall); exports are
undecorated. Every function is thread-safe; a doku_client is shared by any number of
threads. Strings the library writes to char **out_... parameters are freed exactly once
with doku_string_free; arguments are only borrowed during the call. Text is UTF-8.
Delphi, VB6 and .NET declarations: README.md of doku-direct, section "POS builds".
EOF
  } >"$pkg/README.txt"
}

write_licenses() {
  local t="$1" pkg="$2"
  {
    echo "libdoku (doku-direct $VERSION) is licensed under MIT OR Apache-2.0, at your option."
    echo
    echo "This binary also contains Rust's standard library (MIT OR Apache-2.0) and these crates,"
    echo "each under the licence named (SPDX expressions, from each crate's manifest):"
    echo
    env RUSTC="$RUSTC_WEB" "$CARGO_WEB" tree -p doku-direct -e normal --target "$t" \
      --prefix none --format '  {p}  {l}' --locked 2>/dev/null | sed -e 's| (/[^)]*)||' -e 's| (\*)$||' |
      LC_ALL=C sort -u
  } >"$pkg/LICENSE.txt"
}

# ------------------------------------------------------------------------------------------
# Emulation

# qemu-user runs the ARM programs against the cross glibc that linked them
# (/usr/<triple>, from libc6-*-cross). No multiarch libc6:arm64/armhf is installed, so the
# loader cannot mix two glibc builds (which hangs threads).
QEMU_BIN() { case "$1" in aarch64-*) echo qemu-aarch64 ;; armv7-*) echo qemu-arm ;; esac; }

# 32-bit wine: Debian's wine32:i386 cannot be installed next to the amd64 packages without
# i386 multiarch, so its loader, libwine:i386 and the i386 libc and libgcc_s are unpacked into
# target/cross/tools/wine32-root (apt-get download + dpkg-deb -x, with private apt lists:
# the system's apt configuration is left alone) and the loader's ELF interpreter is pointed
# at that libc. wine64's wineserver serves it.
wine32_root() {
  local root="$TOOLS_DIR/wine32-root" apt="$TOOLS_DIR/apt-i386"
  if [ ! -x "$root/usr/lib/wine/wine" ] || [ ! -f "$root/.complete" ]; then
    log "unpacking the 32-bit wine loader into $root" >&2
    rm -rf "$root" "$apt/debs"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$root"
    local o=(-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
             -o "APT::Architectures::=amd64" -o "APT::Architectures::=i386")
    # A foreign-architecture index may be mid-sync on a mirror: what matters is that the
    # packages below are found, which `apt-get download` checks.
    apt-get "${o[@]}" update -qq >/dev/null 2>&1 || true
    local v; v="$(dpkg-query -W -f '${Version}' wine64)"
    (cd "$apt/debs" && apt-get "${o[@]}" download -qq "libc6:i386" "libgcc-s1:i386" "libwine:i386=$v" "wine32:i386=$v" >&2) ||
      die "could not download the i386 wine packages"
    local f
    for f in "$apt/debs"/*.deb; do dpkg-deb -x "$f" "$root"; done
    rm -rf "$apt/debs"
    # Debian's wine loads the system's mingw zlib as a PE DLL (libz-mingw-w64).
    cp /usr/i686-w64-mingw32/lib/zlib1.dll "$root/usr/lib/i386-linux-gnu/wine/i386-windows/"
    patchelf --set-interpreter "$root/lib/ld-linux.so.2" "$root/usr/lib/wine/wine"
    touch "$root/.complete"
  fi
  echo "$root"
}

# Prints the runner command (one word per line) for target $1's programs.
runner() {
  local t="$1"
  case "$t" in
    aarch64-*|armv7-*)
      printf '%s\n' "$(QEMU_BIN "$t")" -L "/usr/$(tool_prefix "$t")" ;;
    x86_64-*) printf '%s\n' /usr/lib/wine/wine64 ;;
    i686-*) printf '%s\n' "$(wine32_root)/usr/lib/wine/wine" ;;
  esac
}

wine_env() {
  local t="$1"
  export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINESERVER=/usr/lib/wine/wineserver64
  if [[ "$t" == i686-* ]]; then
    local root; root="$(wine32_root)"
    export WINEARCH=win32 WINEPREFIX="$TOOLS_DIR/wine-prefix-win32"
    export LD_LIBRARY_PATH="$root/lib/i386-linux-gnu:$root/usr/lib/i386-linux-gnu"
  else
    export WINEARCH=win64 WINEPREFIX="$TOOLS_DIR/wine-prefix-win64"
  fi
}

# Windows 7 SP1 ships these DLLs (all are in System32 there); anything else imported would
# stop doku.dll from loading on a Windows 7 till.
WIN7_DLLS="kernel32.dll ntdll.dll advapi32.dll ws2_32.dll msvcrt.dll userenv.dll bcrypt.dll
           secur32.dll crypt32.dll user32.dll shell32.dll ole32.dll"
# Functions that Windows 7 lacks (Windows 8+ / 10+), as static imports they fail the load.
NOT_ON_WIN7="ProcessPrng GetSystemTimePreciseAsFileTime WaitOnAddress WakeByAddressSingle
             WakeByAddressAll CreateFile2 SetThreadDescription GetThreadDescription
             GetTempPath2W GetCurrentThreadStackLimits PrefetchVirtualMemory
             GetOverlappedResultEx"

import_check() {
  local t="$1" dll="$2" p imports bad=0 d f
  p="$(tool_prefix "$t")"
  imports="$("$p-objdump" -p "$dll")"
  local dlls; dlls="$(sed -n 's/^\s*DLL Name: //p' <<<"$imports" | tr 'A-Z' 'a-z' | sort -u)"
  log "$t: doku.dll imports: $(echo $dlls)"
  for d in $dlls; do
    if [[ " $(echo $WIN7_DLLS) " != *" $d "* ]]; then
      echo "cross: $t: doku.dll imports $d, which Windows 7 does not have" >&2; bad=1
    fi
    [[ "$d" == api-ms-win-* ]] && { echo "cross: $t: API set import $d (Windows 8+)" >&2; bad=1; }
  done
  for f in $NOT_ON_WIN7; do
    if grep -Eq "^\s+[0-9a-f]+\s+[0-9]+\s+$f\$" <<<"$imports"; then
      echo "cross: $t: doku.dll imports $f, which Windows 7 does not have" >&2; bad=1
    fi
  done
  [ "$bad" -eq 0 ] || die "$t: doku.dll would not load on Windows 7"
  log "$t: import table OK for Windows 7 SP1 ($(grep -cE '^\s+[0-9a-f]+\s+[0-9]+\s+\S' <<<"$imports") functions from $(wc -w <<<"$dlls") DLLs)"
}

test_one() {
  local t="$1" p name pkg cc run=() cflags="" ldflags=""
  p="$(tool_prefix "$t")"
  name="$(pkg_name "$t")"
  pkg="$DIST_DIR/$name"
  [ -d "$pkg" ] || die "$pkg is missing: run make cross first"
  (cd "$pkg" && sha256sum --quiet -c SHA256SUMS) || die "$pkg: checksums do not match"
  mapfile -t run < <(runner "$t")
  local build="$TEST_DIR/$t" native static=()
  native="$(cat "$BUILD_DIR/$t/dist/native-static-libs.txt")"
  rm -rf "$build"; mkdir -p "$build"
  if is_windows "$t"; then
    import_check "$t" "$pkg/bin/doku.dll"
    wine_env "$t"
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
      log "creating the wine prefix $WINEPREFIX"
      "${run[@]}" wineboot --init >/dev/null 2>&1 || true
      "$WINESERVER" -w   # the prefix is written when the wineserver exits
    fi
    # mingw's printf is msvcrt's unless asked: %zu needs the C99 one. -static: the test
    # program carries its own winpthreads; it links doku.dll through the import library.
    cflags="-D__USE_MINGW_ANSI_STDIO=1"
    ldflags="-static $pkg/lib/libdoku.dll.a -lpthread"
    static=("-static $pkg/lib/libdoku.a $native -lpthread")
  else
    # Linked as a user would: through the package's relocatable doku.pc.
    ldflags="$(PKG_CONFIG_PATH="$pkg/lib/pkgconfig" pkg-config --libs doku) -Wl,-rpath,$pkg/lib"
    static=("$(PKG_CONFIG_PATH="$pkg/lib/pkgconfig" pkg-config --variable=static_libs doku)")
  fi
  local start=$SECONDS kind
  for kind in shared static; do
    if [ "$kind" = static ]; then ldflags="${static[0]}"; fi
    log "test $t ($kind library): tests/c under ${run[0]##*/}"
    mkdir -p "$build/$kind"
    # Windows finds a DLL next to the program; the static build must not need one.
    if [ "$kind" = shared ] && is_windows "$t"; then cp "$pkg/bin/"*.dll "$build/$kind/"; fi
    CROSS_CC="$p-gcc" CROSS_RUNNER="${run[*]}" CROSS_CFLAGS="$cflags" CROSS_LDFLAGS="$ldflags" \
      CROSS_BUILD="$build/$kind" CROSS_EXE="$(is_windows "$t" && echo .exe || true)" \
      LIBDIR="$pkg/lib" tests/c/run.sh
  done
  if [ -f "$pkg/bin/doku_vb6.dll" ]; then
    log "test $t: the VB6 shim, called through stdcall pointers"
    "$p-gcc" -std=c11 -Wall -Wextra -Werror -O1 -I include -o "$build/shared/test_vb6.exe" \
      scripts/cross/vb6/test_vb6.c "$pkg/lib/libdoku.dll.a" -static
    (cd "$build/shared" && "${run[@]}" "$build/shared/test_vb6.exe")
  fi
  log "test $t passed in $((SECONDS - start)) s; runs on: $(needs "$t" "$pkg")"
}

# The README's .NET P/Invoke example, compiled with mono's mcs (C# 7-level, as .NET
# Framework 4.x on a Windows 7 till) and run under mono against the host's libdoku
# ($1: make lib's directory): its declarations must marshal as written. The expected
# signature is computed here from DOKU's component rules with Python's hmac, not by libdoku.
dotnet_example() {
  local lib="$1" work="$TEST_DIR/dotnet" got want
  [ -f "$lib/libdoku.so" ] || die "$lib/libdoku.so is missing: run make lib"
  rm -rf "$work"; mkdir -p "$work"
  python3 - README.md "$work/example.cs" <<'PY'
import re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
section = readme.split("**.NET**", 1)[1]
open(sys.argv[2], "w", encoding="utf-8").write(re.findall(r"```csharp\n(.*?)```", section, re.S)[0])
PY
  mcs -out:"$work/example.exe" "$work/example.cs"
  printf '<configuration><dllmap dll="doku.dll" target="%s"/></configuration>\n' \
    "$lib/libdoku.so" >"$work/example.exe.config"
  got="$(DOKU_SECRET_KEY=SK-example mono "$work/example.exe")"
  want="$(python3 -c '
import base64, hashlib, hmac
body = b"{\"order\":{\"invoice_number\":\"INV-1\",\"amount\":150000}}"
digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
component = ("Client-Id:MCH-0001\nRequest-Id:req-1\nRequest-Timestamp:2020-08-11T08:45:42Z\n"
             "Request-Target:/alfa-online-to-offline/v2/payment-code\nDigest:" + digest)
mac = hmac.new(b"SK-example", component.encode(), hashlib.sha256).digest()
print("HMACSHA256=" + base64.b64encode(mac).decode())')"
  [ "$got" = "$want" ] || die "README .NET example printed '$got', expected '$want'"
  log "README .NET example: compiled by mcs, run by mono, signature $got as expected"
}

cmd="${1:-}"; shift || true
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=("${DEFAULT_TARGETS[@]}")
case "$cmd" in
  targets) printf '%s\n' "${DEFAULT_TARGETS[@]}" ;;
  build)
    check_tools "${targets[@]}"
    mkdir -p "$DIST_DIR"
    for t in "${targets[@]}"; do build_one "$t"; package_one "$t"; done
    ;;
  test)
    for t in "${targets[@]}"; do test_one "$t"; done
    log "every target passed: ${targets[*]}"
    ;;
  dotnet) dotnet_example "${1:?usage: cross.sh dotnet LIBDIR}" ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
