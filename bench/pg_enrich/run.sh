#!/usr/bin/env bash
# pg_enrich benchmark: warm-cache and 100%-miss throughput of process()
# against a PostgreSQL 15 the benchmark starts itself (needs root for runuser).
#   bench/pg_enrich/run.sh [build-dir] [customers] [batch] [warm_rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD="${1:-build}"
shift || true
cmake --build "$BUILD" --target bench_pg_enrich rp_processor_pg_enrich >/dev/null
ROUTERPULSE_BUILD_DIR="$PWD/$BUILD" ROUTERPULSE_SOURCE_DIR="$PWD" "$BUILD/bench_pg_enrich" "$@"
