#!/usr/bin/env bash
# Builds the RouterOS decoder libFuzzer target with clang in its own build
# directory and fuzzes it for a bounded time.
#   tests/routeros/run_fuzz.sh [SECONDS=60] [BUILD_DIR=build-fuzz-routeros]
# New interesting inputs land in BUILD_DIR/fuzz-corpus-run; crashes in the
# current directory as crash-*. Exit status is libFuzzer's (0 = no finding).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
bdir=${2:-build-fuzz-routeros}
mkdir -p "$bdir"
CC=clang CXX=clang++ cmake -S . -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DROUTERPULSE_BUILD_FUZZ=ON -DROUTERPULSE_BUILD_BENCH=OFF > "$bdir/configure.log" 2>&1 ||
  { cat "$bdir/configure.log"; exit 1; }
cmake --build "$bdir" --target fuzz_routeros_decoder
mkdir -p "$bdir/fuzz-corpus-run"
exec "$bdir/fuzz_routeros_decoder" -max_total_time="$secs" -print_final_stats=1 \
  "$bdir/fuzz-corpus-run" tests/routeros/fuzz/corpus
