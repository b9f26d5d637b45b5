#!/usr/bin/env bash
# bench/pop.sh — the POP-scale run of the main job:
#   routeros-sim (ROUTERS × SESSIONS PPPoE customers at 1 Hz)
#   → routerpulse: routeros_traffic → pg_enrich (warm cache: preload) → lua
#     bandwidth rule → redis_stream + prometheus
# Reports agent CPU % of one core, peak RSS, Redis entries/s and end-to-end
# latency p50/p99 (simulator send timestamp → Redis entry ID time).
#
#   bench/pop.sh            # 50 routers × 2,000 sessions (100k samples/s), 20 s warm-up, 40 s measured
#   bench/pop.sh --quick    # 3 × 100, 5 s + 10 s: a smoke run for CI, asserts nothing about speed
#   env: ROUTERS SESSIONS WARMUP MEASURE BUILD (default build)
#        PROCESSORS (default "pg_enrich, lua/alerts"; e.g. "pg_enrich" or "" to
#        measure the pipeline without a stage)
#        BUFFER_LIMIT (redis_stream buffer_limit, default 100000)
#        PIPELINE_LIMIT (agent.pipeline_limit, default 100000)
#        STOP_REDIS=1: stop Redis when the measured window starts (overload:
#        the output buffer fills, then drops are counted; RSS must stay bounded)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
ROUTERS="${ROUTERS:-50}" SESSIONS="${SESSIONS:-2000}" WARMUP="${WARMUP:-20}" MEASURE="${MEASURE:-40}"
if [ "${1:-}" = "--quick" ]; then ROUTERS=3 SESSIONS=100 WARMUP=5 MEASURE=10; fi
for f in routerpulse routeros-sim; do [ -x "$BUILD/$f" ] || { echo "missing $BUILD/$f: run scripts/setup.sh" >&2; exit 1; }; done

TMP="$(mktemp -d /tmp/rp-pop-XXXXXX)"; chmod 777 "$TMP"
PIDS=()
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$TMP/pg/postmaster.pid" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg" -m immediate stop >/dev/null 2>&1
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
base_port() {  # ROUTERS consecutive free ports
  /usr/bin/python3 - "$ROUTERS" <<'PY'
import socket, sys, random
n = int(sys.argv[1])
while True:
    b = random.randint(20000, 60000 - n)
    socks = []
    try:
        for p in range(b, b + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(b); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}
SIM_BASE=$(base_port) REDIS_PORT=$(port) PG_PORT=$(port) HTTP_PORT=$(port)
POOL=$(( SESSIONS + (SESSIONS + 9) / 10 ))
PROCESSORS="${PROCESSORS-pg_enrich, lua/alerts}"
echo "# processors: [$PROCESSORS]" 

echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# routers=$ROUTERS sessions=$SESSIONS warmup=${WARMUP}s measure=${MEASURE}s loadavg=\"$(cut -d' ' -f1-3 /proc/loadavg)\""

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
runuser -u postgres -- "$PG_BIN/initdb" -D "$TMP/pg" -A trust -U postgres >"$TMP/initdb.log" 2>&1
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg.log" -w \
  -o "-p $PG_PORT -k $TMP -c listen_addresses=127.0.0.1" start >/dev/null
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -f "$ROOT/etc/schema.sql" >/dev/null
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -c \
  "INSERT INTO customers (name, service_type, pppoe_username, package)
   SELECT 'Customer ' || g, 'pppoe', 'user' || CASE WHEN g < 10000 THEN lpad(g::text, 4, '0') ELSE g::text END,
          CASE WHEN g % 2 = 0 THEN 'fiber-50M' ELSE 'fiber-100M' END
     FROM generate_series(1, $(( ROUTERS * POOL ))) g" >/dev/null

"$BUILD/routeros-sim" --routers "$ROUTERS" --sessions "$SESSIONS" --base-port "$SIM_BASE" --churn 6 >"$TMP/sim.log" 2>&1 &
PIDS+=($!)
SIM_PID=$!
for _ in $(seq 100); do grep -q listening "$TMP/sim.log" && break; sleep 0.1; done

CONFIG="$TMP/agent.yaml"
{
  cat <<YAML
agent:
  interval: 10s
  log_level: warn
  http: { listen: "127.0.0.1:$HTTP_PORT" }
  pipeline_limit: ${PIPELINE_LIMIT:-100000}
routers:
YAML
  for i in $(seq 0 $((ROUTERS - 1))); do
    echo "  r$i: { host: 127.0.0.1, port: $((SIM_BASE + i)), username: admin }"
  done
  cat <<YAML
inputs:
  routeros_traffic: { routers: all, pppoe: all, sample_time: sender }
processors:
  pg_enrich:
    dsn: "host=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres"
    key_tag: pppoe_user
    query: "SELECT id::text AS customer_id, package FROM customers WHERE pppoe_username = \$1"
    preload_query: "SELECT pppoe_username, id::text AS customer_id, package FROM customers"
    tags: [customer_id, package]
  lua/alerts:
    script: $ROOT/scripts/lua/bandwidth_near_package.lua
    config: { threshold: 0.95, for: 10 }
outputs:
  redis_stream:
    url: "redis://127.0.0.1:$REDIS_PORT/0"
    stream: "mikrotik:traffic:customers"
    namepass: [pppoe_traffic]
    maxlen: 1000000
    batch_size: 5000
    buffer_limit: ${BUFFER_LIMIT:-100000}
  prometheus: {}
pipelines:
  pop:
    inputs: [routeros_traffic]
    processors: [$PROCESSORS]
    outputs: [redis_stream, prometheus]
YAML
} >"$CONFIG"

${AGENT_WRAP:-} "$BUILD/routerpulse" run -c "$CONFIG" >"$TMP/agent.log" 2>&1 &
AGENT=$!
PIDS+=($AGENT)
sleep "$WARMUP"
kill -0 "$AGENT" || { cat "$TMP/agent.log" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
series() { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {printf "%.0f", s}'; }
# Entries ever added (XINFO STREAM entries-added, Redis 7): XLEN stops growing
# once MAXLEN trimming starts.
xlen() { redis-cli -p "$REDIS_PORT" --raw XINFO STREAM mikrotik:traffic:customers | awk 'p {print; exit} $0 == "entries-added" {p = 1}'; }
a0=$(ticks "$AGENT"); s0=$(ticks "$SIM_PID"); x0=$(xlen); n0=$(series routerpulse_routeros_traffic_samples_total)
if [ -n "${STOP_REDIS:-}" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; x0=0; fi
if [ -n "${PERF_OUT:-}" ]; then  # optional profile of the measured window
  perf record -F 499 -g -p "$AGENT" -o "$PERF_OUT" -- sleep "$MEASURE" >/dev/null 2>&1
else
  sleep "$MEASURE"
fi
a1=$(ticks "$AGENT"); s1=$(ticks "$SIM_PID"); n1=$(series routerpulse_routeros_traffic_samples_total)
if [ -n "${STOP_REDIS:-}" ]; then x1=0; else x1=$(xlen); fi
hwm=$(awk '/VmHWM/ {print $2, $3}' "/proc/$AGENT/status")
dropped=$(series routerpulse_output_metrics_dropped_total)
pipeline_dropped=$(series routerpulse_pipeline_metrics_dropped_total)
hz=$(getconf CLK_TCK)
# End-to-end latency of the newest 20,000 entries: entry ID (ms, Redis clock =
# this machine's clock) minus the metric time (simulator send time, ns).
lat="n/a (Redis stopped)"
if [ -z "${STOP_REDIS:-}" ]; then
lat=$(redis-cli -p "$REDIS_PORT" --raw XREVRANGE mikrotik:traffic:customers + - COUNT 20000 | /usr/bin/python3 -c '
import sys, json
lines = sys.stdin.read().split("\n")
lat = []
for i, l in enumerate(lines):
    if l.startswith("{"):
        ms = int(lines[i - 2].split("-")[0])
        lat.append(ms - json.loads(l)["time"] / 1e6)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print("p50_ms=%.1f p99_ms=%.1f (n=%d)" % (q(0.5), q(0.99), len(lat)))')
fi
awk -v a=$((a1 - a0)) -v s=$((s1 - s0)) -v hz="$hz" -v d="$MEASURE" -v x=$((x1 - x0)) -v n=$((n1 - n0)) \
  'BEGIN {printf "agent_cpu_pct_of_one_core=%.1f sim_cpu_pct=%.1f samples_in_per_s=%.0f redis_entries_per_s=%.0f\n", 100*a/hz/d, 100*s/hz/d, n/d, x/d}'
echo "agent_peak_rss=$hwm output_dropped_total=$dropped pipeline_dropped_total=$pipeline_dropped"
echo "latency_sim_send_to_redis: $lat"
curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | grep -E '^routerpulse_(output_(metrics_written|metrics_dropped|write_errors)_total|output_buffer_size|processor_metrics_processed_total|pipeline_(batches_in_flight|metrics_dropped_total)|input_metrics_gathered_total)' | sed 's/^/# /'
echo "# loadavg_end=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null || true
