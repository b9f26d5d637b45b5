#!/usr/bin/env bash
# icmp input vs Debian's fping, side by side in the same network namespaces
# (plugins/inputs/icmp/tests/netns.sh: veth to a target namespace that answers
# whole /16s via local routes, a blackholed /16 for "down" targets).
#   bench/icmp/run.sh [BUILD_DIR] [RUNS]      (root; default build, 5 runs)
# Prints every run and the medians; record them in bench/icmp-results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
RUNS=${2:-5}
BENCH=$PWD/$BUILD/bench_icmp
NETNS=$PWD/plugins/inputs/icmp/tests/netns.sh
[ "$(id -u)" -eq 0 ] || { echo "run as root (network namespaces)"; exit 1; }
command -v fping >/dev/null || { echo "needs fping (apt-get install fping)"; exit 1; }
[ -x "$BENCH" ] || { echo "build bench_icmp first: cmake --build $BUILD --target bench_icmp"; exit 1; }
TAG=bench$$
P=rpi-p-$TAG
WORK=$(mktemp -d /tmp/icmp-bench.XXXXXX)
trap '$NETNS down $TAG; rm -rf $WORK' EXIT
$NETNS up $TAG

python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
def hosts(prefix, n, start=0):
    return [f"{prefix}.{(i // 250)}.{i % 250 + 1}" for i in range(start, start + n)]
open(f"{w}/up10k.txt", "w").write("\n".join(hosts("10.200", 10000)) + "\n")
open(f"{w}/mixed10k.txt", "w").write("\n".join(hosts("10.200", 9000) + hosts("10.201", 1000)) + "\n")
big = hosts("10.200", 60000) + hosts("10.204", 40000)
open(f"{w}/up100k.txt", "w").write("\n".join(big) + "\n")
PY

echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) CPUs; fping $(fping -v 2>&1 | head -1)"
echo "# load before: $(cat /proc/loadavg)"

median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.4f}")' "$@"; }
# /usr/bin/time: wall, user+sys, max RSS (KiB)
timed() { /usr/bin/time -f "TIME %e %U %S %M" "$@"; }

run_case() {  # name, fping args, bench args
  local name=$1 fargs=$2 bargs=$3
  local fw=() fc=() fm=() rw=() rc=() rm=() iw=() ic=() dr=() w1=() c1=()
  for i in $(seq "$RUNS"); do
    full=$(ip netns exec $P bash -c "/usr/bin/time -f 'TIME %e %U %S %M' fping $fargs 2>&1 >/dev/null; echo EXIT \$?" || true)
    out=$(grep '^TIME' <<<"$full" || true)
    grep -q 'not enough sequence numbers' <<<"$full" && echo "    fping: $(grep -m1 'not enough' <<<"$full")"
    # fping -C -q prints "host : rtt" per target; "-" is no reply
    echo "    fping: $(grep -c ' : ' <<<"$full") result lines, $(grep -cE ' : -$' <<<"$full") without reply"
    read -r _ w u s m <<<"$out"
    fw+=("$w"); fc+=("$(python3 -c "print($u+$s)")"); fm+=("$m")
    out=$(ip netns exec $P /usr/bin/time -f 'TIME %e %U %S %M' "$BENCH" $bargs 2>&1)
    line=$(grep '^round=' <<<"$out" | tail -1)   # steady state: the last round
    first=$(grep '^round=1 ' <<<"$out")          # the first round (allocations, tag sets)
    w1+=("$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$first")")
    c1+=("$(sed -E 's/.*cpu_s=([0-9.]+).*/\1/' <<<"$first")")
    read -r _ w u s m <<<"$(grep '^TIME' <<<"$out")"
    rw+=("$w"); rc+=("$(python3 -c "print($u+$s)")"); rm+=("$m")
    iw+=("$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$line")")
    ic+=("$(sed -E 's/.*cpu_s=([0-9.]+).*/\1/' <<<"$line")")
    dr+=("$(python3 -c "import re,sys; l=sys.argv[1]; print(int(re.search(r'rss_kb=(\d+)',l).group(1))-int(re.search(r'rss0_kb=(\d+)',l).group(1)))" "$line")")
    echo "$name run $i: fping wall ${fw[-1]} s cpu ${fc[-1]} s rss ${fm[-1]} KiB | routerpulse first round wall ${w1[-1]} cpu ${c1[-1]} | $line | process wall ${rw[-1]} cpu ${rc[-1]} rss ${rm[-1]}"
    grep -E '^routerpulse_icmp_(socket_drops|unmatched)' <<<"$out" | sed 's/^/    /' || true
  done
  echo "$name MEDIAN: fping wall $(median "${fw[@]}") s cpu $(median "${fc[@]}") s rss $(median "${fm[@]}") KiB |" \
       "routerpulse first round wall $(median "${w1[@]}") s cpu $(median "${c1[@]}") s |" \
       "routerpulse steady round wall $(median "${iw[@]}") s cpu $(median "${ic[@]}") s rss growth $(median "${dr[@]}") KiB |" \
       "routerpulse process wall $(median "${rw[@]}") s cpu $(median "${rc[@]}") s rss $(median "${rm[@]}") KiB"
}

# 1. 10k targets, one probe each, unpaced (both raw sockets: fping has cap_net_raw).
# routerpulse runs 3 rounds per process (an agent probes round after round);
# fping is one process per round. Process-level numbers include start-up.
run_case "10k-unpaced-raw" "-C1 -q -i0 -t1000 -f $WORK/up10k.txt" "$WORK/up10k.txt 1 0 1s raw 3"
# 1b. the same with routerpulse on an unprivileged ping socket (fping 5.1's is broken, #248).
ip netns exec $P sysctl -qw net.ipv4.ping_group_range="0 2147483647"
run_case "10k-unpaced-unprivileged" "-C1 -q -i0 -t1000 -f $WORK/up10k.txt" "$WORK/up10k.txt 1 0 1s unprivileged 3"
ip netns exec $P sysctl -qw net.ipv4.ping_group_range="1 0"
# 2. 9k up + 1k down: the round lasts the timeout.
run_case "10k-mixed-unpaced" "-C1 -q -i0 -t1000 -f $WORK/mixed10k.txt" "$WORK/mixed10k.txt 1 0 1s raw 3"
# 3. 10k targets at 5,000 probes/s (fping -i 0.2 ms).
run_case "10k-5000pps" "-C1 -q -i0.2 -t1000 -f $WORK/up10k.txt" "$WORK/up10k.txt 1 5000 1s raw 3"
# 3b. 10k targets at 20,000 probes/s (fping -i 0.05 ms).
run_case "10k-20000pps" "-C1 -q -i0.05 -t1000 -f $WORK/up10k.txt" "$WORK/up10k.txt 1 20000 1s raw 3"
# 4. 100k targets in one round (fping 5.1 stops above 65,535 in flight).
run_case "100k-unpaced" "-C1 -q -i0 -t1000 -f $WORK/up100k.txt" "$WORK/up100k.txt 1 0 1s raw 2"
# Memory baseline: the same process with one target (the agent's libraries, no list).
echo 10.200.0.1 > $WORK/one.txt
out=$(ip netns exec $P /usr/bin/time -f 'TIME %e %U %S %M' "$BENCH" $WORK/one.txt 1 0 1s raw 3 2>&1)
echo "1-target baseline: $(grep '^round=3' <<<"$out") | process rss $(grep '^TIME' <<<"$out" | awk '{print $5}') KiB"
echo "# load after: $(cat /proc/loadavg)"
