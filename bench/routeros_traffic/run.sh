#!/usr/bin/env bash
# bench/routeros_traffic/run.sh — 50 simulated routers x 2,000 PPPoE sessions
# streamed at 1 Hz (100k pppoe_traffic samples/s) through `routerpulse run`
# (input routeros_traffic → output file).
#
# Phase 1 (output to /dev/null): agent CPU % of one core from /proc/<pid>/stat
#   (utime+stime over MEASURE seconds after WARMUP), peak RSS (VmHWM), samples/s.
# Phase 2 (output to a FIFO read by latency_reader): per-sample latency from
#   simulator send (=.sim-sent-ns=, used as metric time via sample_time: sender)
#   to the output's write, p50/p90/p99.
#
# Usage: bench/routeros_traffic/run.sh [BUILD_DIR]   (default: build)
#   env WARMUP (default 20 s), MEASURE (default 45 s), ROUTERS (default 50,
#   at most 50: the first ROUTERS routers of agent.yaml are used)
# Needs: BUILD_DIR/routerpulse, BUILD_DIR/routeros-sim, BUILD_DIR/plugins/
#   librp_input_routeros_traffic.so and librp_output_file.so; latency_reader is
#   compiled here with c++ if missing. Ports 28690 and 28700-28749 must be free.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
WARMUP="${WARMUP:-20}"
MEASURE="${MEASURE:-45}"
ROUTERS="${ROUTERS:-50}"
TMP="$(mktemp -d /tmp/rp-bench-traffic-XXXXXX)"
SIM_PID="" AGENT_PID="" READER_PID=""

cleanup() {
  for p in $AGENT_PID $READER_PID $SIM_PID; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

[ "$ROUTERS" -ge 1 ] && [ "$ROUTERS" -le 50 ] || { echo "ROUTERS must be 1..50" >&2; exit 1; }
CONFIG="$TMP/agent.yaml"  # agent.yaml without the routers beyond ROUTERS
awk -v n="$ROUTERS" '/^  r[0-9]+: / { k = substr($1, 2) + 0; if (k >= n) next } { print }' "$HERE/agent.yaml" >"$CONFIG"

for f in routerpulse routeros-sim plugins/librp_input_routeros_traffic.so plugins/librp_output_file.so; do
  [ -e "$BUILD/$f" ] || { echo "missing $BUILD/$f (build the targets routerpulse routeros-sim rp_input_routeros_traffic rp_output_file)" >&2; exit 1; }
done
READER="$BUILD/bench_routeros_traffic_latency"
if [ ! -x "$READER" ]; then
  READER="$TMP/latency_reader"
  c++ -O2 -std=c++20 -o "$READER" "$HERE/latency_reader.cpp"
fi

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
metric() {  # sum of a Prometheus series from the agent's /metrics
  curl -s http://127.0.0.1:28690/metrics | awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {printf "%.0f", s}'
}

echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$BUILD/routeros-sim" --routers "$ROUTERS" --sessions 2000 --base-port 28700 --interval 1 >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
sleep 2

run_phase() {  # $1 = output path
  RP_BENCH_OUT="$1" "$BUILD/routerpulse" run -c "$CONFIG" >"$TMP/agent.log" 2>&1 &
  AGENT_PID=$!
  sleep "$WARMUP"
  kill -0 "$AGENT_PID" || { cat "$TMP/agent.log" >&2; exit 1; }
}

stop_agent() {
  kill "$AGENT_PID"
  wait "$AGENT_PID" 2>/dev/null || true
  AGENT_PID=""
}

# ---- phase 1: CPU and memory, output to /dev/null
run_phase /dev/null
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
a0=$(ticks "$AGENT_PID"); s0=$(ticks "$SIM_PID"); n0=$(metric routerpulse_routeros_traffic_samples_total)
w0=$(metric routerpulse_output_metrics_written_total)
sleep "$MEASURE"
a1=$(ticks "$AGENT_PID"); s1=$(ticks "$SIM_PID"); n1=$(metric routerpulse_routeros_traffic_samples_total)
w1=$(metric routerpulse_output_metrics_written_total)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
hwm=$(awk '/VmHWM/ {print $2, $3}' "/proc/$AGENT_PID/status")
monitors=$(metric routerpulse_routeros_traffic_monitors_active)
dropped=$(metric routerpulse_output_metrics_dropped_total)
echo "routers=$ROUTERS monitors_active=$monitors (expected $((ROUTERS * 2000)))"
awk -v a=$((a1 - a0)) -v s=$((s1 - s0)) -v hz="$hz" -v d="$MEASURE" -v n=$((n1 - n0)) -v w=$((w1 - w0)) \
  'BEGIN {printf "agent_cpu_pct_of_one_core=%.1f sim_cpu_pct=%.1f samples_per_s=%.0f written_per_s=%.0f\n", 100*a/hz/d, 100*s/hz/d, n/d, w/d}'
echo "agent_peak_rss=$hwm output_dropped_total=$dropped"
echo "loadavg_start=\"$load_start\" loadavg_end=\"$load_end\""
stop_agent

# ---- phase 2: latency, output to a FIFO
mkfifo "$TMP/out.fifo"
"$READER" "$WARMUP" "$MEASURE" <"$TMP/out.fifo" >"$TMP/latency.txt" &
READER_PID=$!
run_phase "$TMP/out.fifo"
sleep "$MEASURE"
sleep 2
stop_agent
wait "$READER_PID" || true
READER_PID=""
echo "latency_sim_send_to_output_write: $(cat "$TMP/latency.txt")"
echo "loadavg_after=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
