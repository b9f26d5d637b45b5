#!/usr/bin/env bash
# bench/control_api/run.sh — latency and throughput of the control API on a
# loaded agent: routeros-sim (ROUTERS × SESSIONS customers streaming at 1 Hz)
# → routerpulse (routeros_traffic → file /dev/null), then N sequential
# keep-alive requests per route from one client (bench/control_api/client.py).
#
#   bench/control_api/run.sh [BUILD_DIR]     env: ROUTERS (2) SESSIONS (2000) N (2000)
# Prints one line per route: requests/s and latency p50/p99/max (ms), plus
# the agent's CPU % over the whole request phase and the load average.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
ROUTERS="${ROUTERS:-2}" SESSIONS="${SESSIONS:-2000}" N="${N:-2000}"
TMP="$(mktemp -d /tmp/rp-capi-XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BASE=$(port); CTL=$(port); HTTP=$(port)
"$BUILD/routeros-sim" --routers "$ROUTERS" --sessions "$SESSIONS" --base-port "$BASE" --control-port "$CTL" \
  >"$TMP/sim.log" 2>&1 & PIDS+=($!)
{
  echo "agent: { interval: 10s, http: { listen: 127.0.0.1:$HTTP, api_keys: [{ key: bench-key, role: control }] } }"
  echo "routers:"
  for i in $(seq 0 $((ROUTERS - 1))); do
    echo "  r$i: { host: 127.0.0.1, port: $((BASE + i)), username: admin }"
  done
  echo "inputs: { routeros_traffic: { system: false } }"
  echo "outputs: { file: { files: [/dev/null], batch_size: 20000 } }"
  echo "pipelines: { main: { inputs: [routeros_traffic], outputs: [file] } }"
} >"$TMP/agent.yaml"
sleep 1
"$BUILD/routerpulse" run -c "$TMP/agent.yaml" >"$TMP/agent.log" 2>&1 & AGENT=$!; PIDS+=($AGENT)
echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores; routers=$ROUTERS sessions=$SESSIONS n=$N"
echo "loadavg_start=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
/usr/bin/python3 "$ROOT/bench/control_api/client.py" "$HTTP" "$N" "$AGENT"
echo "loadavg_end=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
