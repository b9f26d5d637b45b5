#!/bin/sh
# Runs the webhook output benchmark (requests/s and metrics/s to an in-process
# loopback receiver). Usage: bench/webhook/run.sh [build-dir]
set -eu
BUILD=${1:-build}
cmake --build "$BUILD" --target bench_webhook
cat /proc/loadavg
RP_BENCH_SECONDS=${RP_BENCH_SECONDS:-5} "$BUILD/bench_webhook" 2>/dev/null
cat /proc/loadavg
