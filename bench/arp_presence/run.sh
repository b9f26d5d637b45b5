#!/usr/bin/env bash
# arp_presence: ROUTERS routers × ARP entries each, TARGETS static users spread
# over them, rounds back to back (the input's work per 30 s interval).
#   bench/arp_presence/run.sh [BUILD_DIR] [ROUTERS] [ARP_ENTRIES] [TARGETS] [ROUNDS]
# defaults: build 50 5000 10000 5. The simulator's hosts: every 10th idle
# (stale entry: verified by /ping), every 50th offline (failed entry: pinged,
# no answer after the router's 1 s ping timeout). Prints one line per round
# (CPU of the agent side only: the simulator is its own process, its CPU is
# printed at the end) and the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
ROUTERS=${2:-50}
ARP=${3:-5000}
TARGETS=${4:-10000}
ROUNDS=${5:-5}
BENCH=$PWD/$BUILD/bench_arp_presence
SIM=$PWD/$BUILD/routeros-sim
[ -x "$BENCH" ] && [ -x "$SIM" ] || { echo "build first: cmake --build $BUILD --target bench_arp_presence routeros-sim"; exit 1; }
WORK=$(mktemp -d /tmp/arp-bench.XXXXXX)
BASE=$((30000 + RANDOM % 20000))
"$SIM" --routers "$ROUTERS" --base-port "$BASE" --arp "$ARP" --arp-idle-every 10 --arp-offline-every 50 \
  --sessions 0 > "$WORK/sim.log" 2>&1 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null; rm -rf $WORK' EXIT
for _ in $(seq 100); do grep -q listening "$WORK/sim.log" && break; sleep 0.1; done
# TARGETS users spread evenly: router r gets TARGETS/ROUTERS hosts, every
# (ARP / per-router)-th one plus an offset cycling over 0..step-1; with the
# defaults (step 25) 8 % of the targets are idle hosts and 2 % offline ones.
python3 - "$WORK/targets.txt" "$ROUTERS" "$ARP" "$TARGETS" <<'PY'
import sys
out, routers, arp, targets = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
per = targets // routers
step = max(1, arp // per)
with open(out, "w") as f:
    for r in range(routers):
        for j in range(per):
            k = (j * step + j % step) % arp + 1
            f.write(f"10.{20 + r % 200}.{k // 250}.{k % 250 + 1} router=r{r} customer_id=C{r * 100000 + k}\n")
PY
echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) CPUs; $ROUTERS routers x $ARP ARP entries, $(wc -l < "$WORK/targets.txt") targets, $ROUNDS rounds"
echo "# load before: $(cat /proc/loadavg)"
SIM_CPU0=$(awk '{print $14+$15}' /proc/$SIM_PID/stat)
/usr/bin/time -f "process: wall %e s, user %U s, sys %S s, max RSS %M KiB" "$BENCH" "$ROUTERS" "$BASE" "$WORK/targets.txt" "$ROUNDS" "${EXTRA:-}"
SIM_CPU1=$(awk '{print $14+$15}' /proc/$SIM_PID/stat)
echo "simulator CPU during the run: $(python3 -c "print(($SIM_CPU1-$SIM_CPU0)/$(getconf CLK_TCK))") s"
echo "# load after: $(cat /proc/loadavg)"
