#!/bin/sh
# Runs the redis_stream throughput benchmark for the engine's default batch
# size (1000) and a small one (100). Usage: bench/redis_stream/run.sh [build-dir]
# Each row: entries/s through write() (one batch in flight, like the engine)
# next to redis-benchmark -c 1 -P <batch_size> sending the same XADD
# (same MAXLEN ~ 100000, same payload size) to the same local redis-server.
set -eu
BUILD=${1:-build}
cmake --build "$BUILD" --target bench_redis_stream
for batch in 1000 100; do
  RP_BENCH_BATCH=$batch RP_BENCH_ENTRIES=${RP_BENCH_ENTRIES:-200000} RP_BENCH_RUNS=${RP_BENCH_RUNS:-5} \
    "$BUILD/bench_redis_stream" 2>/dev/null | grep -E '^\||^runs='
done
