#!/usr/bin/env bash
# bench/queues/run.sh — CPU per gather round of routeros_traffic's simple
# queues (issue 22), two ways:
#  1. bench_queue_poll: QueuePoll::process alone (matching, pair parsing,
#     customer_queue metrics) on ROUTERS × QUEUES in-memory rows — CPU per
#     round without network, decoder or outputs;
#  2. the whole agent: routeros-sim with ROUTERS × QUEUES dynamic <pppoe-USER>
#     queues (one per PPPoE session, churn 6/min per router) → routerpulse
#     (routeros_traffic: no monitor-traffic, no system; interval 10 s,
#     timeout 9 s) → file output (line protocol to /dev/null). Two runs
#     against the same simulator, `queues: pppoe` and `queues: none`; the
#     difference is what the queues cost end to end (one /queue/simple/print
#     per router per round: decoding, matching, metrics, formatting).
#
#   bench/queues/run.sh [BUILD]        # 50 × 2,000, 20 s warm-up, 60 s measured per run
#   bench/queues/run.sh --quick        # 3 × 100, 12 s + 20 s (smoke run; asserts nothing about speed)
#   env: ROUTERS QUEUES WARMUP MEASURE INTERVAL
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build"
ROUTERS="${ROUTERS:-50}" QUEUES="${QUEUES:-2000}" WARMUP="${WARMUP:-20}" MEASURE="${MEASURE:-60}" INTERVAL="${INTERVAL:-10}"
case "${1:-}" in
  --quick) ROUTERS=3 QUEUES=100 WARMUP=12 MEASURE=20 ;;
  "") ;;
  *) BUILD="$1" ;;
esac
for f in routerpulse routeros-sim; do [ -x "$BUILD/$f" ] || { echo "missing $BUILD/$f" >&2; exit 1; }; done

TMP="$(mktemp -d /tmp/rp-queues-XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
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
SIM_BASE=$(base_port)
echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# routers=$ROUTERS queues_per_router=$QUEUES interval=${INTERVAL}s warmup=${WARMUP}s measure=${MEASURE}s loadavg_start=\"$(cut -d' ' -f1-3 /proc/loadavg)\""

for f in bench_queue_poll; do [ -x "$BUILD/$f" ] || { echo "missing $BUILD/$f" >&2; exit 1; }; done
"$BUILD/bench_queue_poll" "$ROUTERS" "$QUEUES" 10
"$BUILD/bench_queue_poll" "$ROUTERS" "$QUEUES" 10 named

"$BUILD/routeros-sim" --routers "$ROUTERS" --sessions "$QUEUES" --base-port "$SIM_BASE" --churn 6 \
  --no-timestamps >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
PIDS+=($SIM_PID)
for _ in $(seq 100); do grep -q listening "$TMP/sim.log" && break; sleep 0.1; done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

run() {  # $1 = queues option value
  local mode="$1" http_port config agent
  http_port=$(port)
  config="$TMP/agent-$mode.yaml"
  {
    cat <<YAML
agent:
  interval: ${INTERVAL}s
  log_level: warn
  http: { listen: "127.0.0.1:$http_port" }
routers:
YAML
    for i in $(seq 0 $((ROUTERS - 1))); do
      echo "  r$i: { host: 127.0.0.1, port: $((SIM_BASE + i)), username: admin }"
    done
    cat <<YAML
inputs:
  routeros_traffic: { routers: all, pppoe: all, monitor_traffic: false, system: false, queues: $mode, timeout: 9s }
outputs:
  file: { files: [/dev/null] }
pipelines:
  queues:
    inputs: [routeros_traffic]
    outputs: [file]
YAML
  } >"$config"
  "$BUILD/routerpulse" run -c "$config" >"$TMP/agent-$mode.log" 2>&1 &
  agent=$!
  PIDS+=($agent)
  sleep "$WARMUP"
  kill -0 "$agent" || { cat "$TMP/agent-$mode.log" >&2; exit 1; }
  series() { curl -s "http://127.0.0.1:$http_port/metrics" | awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {printf "%.6f", s}'; }
  local a0 s0 g0 gs0 m0 a1 s1 g1 gs1 m1 hwm
  a0=$(ticks "$agent"); s0=$(ticks "$SIM_PID"); g0=$(series routerpulse_input_gathers_total)
  gs0=$(series routerpulse_input_gather_duration_seconds_sum); m0=$(series routerpulse_input_metrics_gathered_total)
  sleep "$MEASURE"
  a1=$(ticks "$agent"); s1=$(ticks "$SIM_PID"); g1=$(series routerpulse_input_gathers_total)
  gs1=$(series routerpulse_input_gather_duration_seconds_sum); m1=$(series routerpulse_input_metrics_gathered_total)
  hwm=$(awk '/VmHWM/ {print $2, $3}' "/proc/$agent/status")
  awk -v mode="$mode" -v a=$((a1 - a0)) -v s=$((s1 - s0)) -v hz="$hz" -v d="$MEASURE" -v g="$(echo "$g1 - $g0" | bc)" \
    -v gs="$(echo "$gs1 - $gs0" | bc)" -v m="$(echo "$m1 - $m0" | bc)" -v q=$((ROUTERS * QUEUES)) -v hwm="$hwm" 'BEGIN {
      printf "queues=%s rounds=%d metrics_per_round=%.0f agent_cpu_ms_per_round=%.1f agent_cpu_pct_of_one_core=%.2f sim_cpu_ms_per_round=%.1f gather_wall_ms=%.1f peak_rss=%s\n",
        mode, g, m / g, 1000 * a / hz / g, 100 * a / hz / d, 1000 * s / hz / g, 1000 * gs / g, hwm }'
  curl -s "http://127.0.0.1:$http_port/metrics" | grep -E '^routerpulse_routeros_traffic_(queues_reported|queues_unmatched|errors_total)\{[^}]*router="r0"' | sed 's/^/# /' || true
  kill -TERM "$agent"; wait "$agent" 2>/dev/null || true
}

run pppoe
run none
echo "# loadavg_end=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
