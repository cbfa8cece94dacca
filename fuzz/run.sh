#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer instrumentation (what `cargo fuzz
# build` does) on the nightly toolchain and runs one of them.
#
#   bash fuzz/run.sh TARGET [SECONDS]     TARGET: reader json_decode store_decode request
#
# With cargo-fuzz installed, `cargo +nightly fuzz run TARGET` is equivalent.
# The corpus grows in fuzz/corpus/TARGET; a crash is written to
# fuzz/artifacts/TARGET/ (turn it into a regression test, then fix it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${1:?usage: fuzz/run.sh TARGET [SECONDS]}"
secs="${2:-180}"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cd "$here"
cargo +nightly build --release --target x86_64-unknown-linux-gnu --bin "$target"
mkdir -p "corpus/$target" "artifacts/$target"
"$here/target/x86_64-unknown-linux-gnu/release/$target" "corpus/$target" -artifact_prefix="artifacts/$target/" \
  -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1
