#!/usr/bin/env bash
# Installs what the tests need and a fresh machine lacks; idempotent and quiet when all
# is present. With arguments, installs only those items (e.g. `cbindgen`). `cross` (for
# `make cross` / `make cross-test` only, never part of the default set) brings Debian's
# rustc-web, cargo-web and rust-web-src, the ARM cross gcc and mingw-w64, qemu-user, wine64,
# patchelf, pkg-config, and mono (the README's .NET example).
set -euo pipefail
CBINDGEN_VERSION=0.29.4
# cargo fuzz (fuzz/run.sh, on the nightly toolchain; the tool itself builds on stable).
CARGO_FUZZ_VERSION=0.13.2

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(apt rust-components cbindgen)
# `browser` (Debian's chromium and chromedriver, for the sandbox dashboard's browser test)
# is installed only when asked for: `make browser-test` runs `install-deps.sh browser`.

apt_pkgs=()
need_apt() { command -v "$1" >/dev/null 2>&1 || apt_pkgs+=("$2"); }

for item in "${want[@]}"; do
  case "$item" in
    apt)
      need_apt cc gcc
      need_apt make make
      need_apt valgrind valgrind
      need_apt pkg-config pkg-config
      need_apt python3 python3
      need_apt php php-cli  # PHP binding: Debian 12's php8.2-common (a php-cli dependency) ships FFI
      need_apt phpunit phpunit
      # PHP binding tests: Notification::fromRequest against a real PSR-7 implementation
      [ -f /usr/share/php/Nyholm/Psr7/autoload.php ] || apt_pkgs+=(php-nyholm-psr7)
      [ -f /usr/share/php/Psr/Http/Message/autoload.php ] || apt_pkgs+=(php-psr-http-message)
      ls /usr/lib/x86_64-linux-gnu/libtsan.so* /usr/lib/*/libtsan.so* >/dev/null 2>&1 || apt_pkgs+=(libtsan2)  # C thread test (gcc -fsanitize=thread)
      python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_pkgs+=(python3-venv)  # python3 -m venv needs ensurepip (Debian splits it out)
      [ -f /usr/include/openssl/hmac.h ] || apt_pkgs+=(libssl-dev)
      # AddressSanitizer runtime for gcc
      ls /usr/lib/x86_64-linux-gnu/libasan.so* /usr/lib/*/libasan.so* >/dev/null 2>&1 || apt_pkgs+=(libasan8)
      if [ ${#apt_pkgs[@]} -gt 0 ]; then
        echo "install-deps: apt-get install ${apt_pkgs[*]}"
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
      fi
      ;;
    browser)
      # The dashboard's browser test drives Debian's chromium through chromedriver.
      browser_pkgs=()
      [ -x /usr/bin/chromium ] || browser_pkgs+=(chromium)
      command -v chromedriver >/dev/null 2>&1 || browser_pkgs+=(chromium-driver)
      if [ ${#browser_pkgs[@]} -gt 0 ]; then
        echo "install-deps: apt-get install ${browser_pkgs[*]}"
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${browser_pkgs[@]}" >/dev/null
      fi
      ;;
    rust-components)
      cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
      cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
      ;;
    cbindgen)
      if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
        echo "install-deps: cargo install cbindgen $CBINDGEN_VERSION"
        cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
      fi
      ;;
    cargo-fuzz)
      if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
        echo "install-deps: cargo install cargo-fuzz $CARGO_FUZZ_VERSION"
        cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --quiet
      fi
      ;;
    cross)
      # Debian's packages, since rustup cannot fetch targets here. rustc-web and
      # rust-web-src must be the same version: -Zbuild-std compiles that source with it.
      cross_pkgs=()
      for p in rustc-web cargo-web rust-web-src gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
               gcc-arm-linux-gnueabihf libc6-dev-armhf-cross gcc-mingw-w64-x86-64 \
               gcc-mingw-w64-i686 qemu-user wine64 patchelf pkg-config mono-mcs mono-runtime; do
        dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || cross_pkgs+=("$p")
      done
      if [ "$(dpkg-query -W -f '${Version}' rustc-web 2>/dev/null)" != \
           "$(dpkg-query -W -f '${Version}' rust-web-src 2>/dev/null)" ]; then
        cross_pkgs+=(rustc-web cargo-web rust-web-src)
      fi
      if [ ${#cross_pkgs[@]} -gt 0 ]; then
        echo "install-deps: apt-get install ${cross_pkgs[*]}"
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
          "${cross_pkgs[@]}" >/dev/null
      fi
      ;;
    *) echo "install-deps: unknown item $item" >&2; exit 2 ;;
  esac
done
