#!/usr/bin/env bash
# processors/lua benchmark: metrics/s through no processor, a trivial rule and
# the bandwidth_near_package rule (see bench_lua.cpp).
#   bench/lua/run.sh [build-dir] [none|trivial|bandwidth|all] [total_metrics] [batch]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD="${1:-build}"
shift || true
cmake --build "$BUILD" --target bench_lua rp_processor_lua >/dev/null
"$BUILD/bench_lua" "$@"
