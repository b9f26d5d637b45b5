#!/bin/sh
# Runs the prometheus_remote_write benchmark: encoder alone, the output to a
# null receiver in a child process, the output to a real Prometheus.
# Usage: bench/prometheus_remote_write/run.sh [build-dir]
#   env: RP_BENCH_SESSIONS (5000), RP_BENCH_ROUNDS (40)
set -eu
BUILD=${1:-build}
cmake --build "$BUILD" -j2 --target bench_remote_write
cat /proc/loadavg
"$BUILD/bench_remote_write" 2>&1
cat /proc/loadavg
