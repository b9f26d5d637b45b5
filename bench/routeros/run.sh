#!/usr/bin/env bash
# RouterOS client benchmarks: decode throughput, memory per idle session, and
# streaming 50 routers x 2,000 PPPoE sessions from tools/routeros-sim.
#   bench/routeros/run.sh [BUILD_DIR=build] [ROUTERS=50] [SESSIONS=2000] [STREAM_SECONDS=20]
# Needs the targets bench_routeros_decode, bench_routeros_sessions, routeros-sim.
set -euo pipefail
b=${1:-build}
routers=${2:-50}
sessions=${3:-2000}
secs=${4:-20}
echo "== decode throughput"
"$b/bench_routeros_decode" 200000 5

base=$((20000 + RANDOM % 10000))  # below the ephemeral port range
ctl=$((base + routers + 1))
log=$(mktemp)
"$b/routeros-sim" --routers "$routers" --base-port "$base" --sessions "$sessions" --control-port "$ctl" > "$log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
grep "listening on" "$log" || { echo "routeros-sim did not start:"; cat "$log"; exit 1; }
sim_rss() { awk '/VmRSS/ {print $2}' /proc/$sim/status; }
echo "== sessions (simulator RSS $(sim_rss) KiB before)"
"$b/bench_routeros_sessions" --base-port "$base" --routers "$routers" --stream "$secs"
echo "simulator: RSS $(sim_rss) KiB, $(ps -o cputime= -p $sim) CPU time"
