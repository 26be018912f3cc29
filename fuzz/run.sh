#!/usr/bin/env bash
# Runs the fuzz targets (cargo fuzz, nightly). Called by mk/fuzz.mk:
#
#   fuzz/run.sh smoke   every target over its checked-in corpus (fuzz/corpus/<target>/: the
#                       seeds and every input that once crashed), then FUZZ_SMOKE_SECONDS of
#                       mutation; new inputs go to a temporary directory. `make test` runs it.
#   fuzz/run.sh fuzz    every target for FUZZ_SECONDS; new inputs are kept in fuzz/work/<target>/
#                       (not tracked: copy the ones worth keeping into fuzz/corpus/<target>/).
#
# FUZZ_TARGETS picks targets (default: all). A crash stops the run; its input is in
# fuzz/artifacts/<target>/ and libFuzzer prints how to reproduce it. Without a nightly
# toolchain the run says so and succeeds: the fuzzers need nightly, the build does not.
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-smoke}
targets=${FUZZ_TARGETS:-ffi_sign ffi_validate ffi_client ffi_notification config sandbox}
smoke_seconds=${FUZZ_SMOKE_SECONDS:-3}
seconds=${FUZZ_SECONDS:-60}

# rustup must not install a missing toolchain on the fly: a machine without nightly skips.
if ! RUSTUP_AUTO_INSTALL=0 cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: no nightly Rust toolchain on this machine (rustup toolchain install nightly):" \
       "the fuzz $mode run is skipped"
  exit 0
fi
../scripts/install-deps.sh cargo-fuzz

# The leak checks stay on, minus the one thread-exit race lsan.supp explains.
export LSAN_OPTIONS="suppressions=$PWD/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

start=$(date +%s)
cargo +nightly fuzz build
echo "fuzz: built every target in $(( $(date +%s) - start )) s"

case "$mode" in
  smoke)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    for t in $targets; do
      mkdir -p "$tmp/$t"
      echo "fuzz smoke: $t ($(ls "corpus/$t" | wc -l) corpus inputs, then ${smoke_seconds} s)"
      if cargo +nightly fuzz run "$t" "$tmp/$t" "corpus/$t" -- \
        -max_total_time="$smoke_seconds" -print_final_stats=1 >"$tmp/$t.log" 2>&1; then
        grep -E '^(Done|stat::(number_of_executed_units|new_units_added))' "$tmp/$t.log" || true
      else
        tail -n 60 "$tmp/$t.log"
        echo "fuzz smoke: $t failed; the input is in fuzz/artifacts/$t/"
        exit 1
      fi
    done
    echo "fuzz smoke: every target passed in $(( $(date +%s) - start )) s (build included)"
    ;;
  fuzz)
    # Every target gets its time even when one finds something; the run fails at the end.
    failed=""
    for t in $targets; do
      mkdir -p "work/$t"
      echo "fuzz: $t for ${seconds} s"
      cargo +nightly fuzz run "$t" "work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 || failed="$failed $t"
    done
    if [ -n "$failed" ]; then
      echo "fuzz: findings in:$failed (inputs in fuzz/artifacts/<target>/)"
      exit 1
    fi
    ;;
  *) echo "usage: fuzz/run.sh smoke|fuzz" >&2; exit 2 ;;
esac
