#!/usr/bin/env bash
# bench/counters.sh — interface counters mode at POP scale (issue 23):
#   routeros-sim: ROUTERS routers × SESSIONS PPPoE sessions (→ SESSIONS + 4
#   interfaces per router)
#   → routerpulse: routeros_traffic { pppoe: none, interfaces: ["*"], queues: none } at
#     INTERVAL → prometheus (scrape endpoint)
# Reports, for the measured window: per-router polls delivered / attempted
# (attempted = ok + failed + overrun, from routerpulse_routeros_traffic_polls_total),
# delivered / due (due = routers × window / interval: ticks the engine itself
# skipped — routerpulse_input_gather_overruns_total — count as not delivered),
# the worst router's ratio, API reconnects, routers present on /metrics, agent
# CPU % of one core and peak RSS.
#
#   bench/counters.sh                 # 50 × 2,000 at 10 s, then at 1 s
#   INTERVALS="1s" bench/counters.sh  # one interval only
#   bench/counters.sh --quick         # 3 routers × 100, 1 s: smoke run (asserts nothing about speed)
#   env: ROUTERS SESSIONS INTERVALS ("10s 1s") WARMUP (s, default 3 intervals, ≥ 15)
#        MEASURE (s, default 10 intervals, ≥ 30) POLL_SPREAD (default: the input's default) BUILD
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
ROUTERS="${ROUTERS:-50}" SESSIONS="${SESSIONS:-2000}" INTERVALS="${INTERVALS:-10s 1s}"
if [ "${1:-}" = "--quick" ]; then ROUTERS=3 SESSIONS=100 INTERVALS=1s WARMUP=3 MEASURE=5; fi
for f in routerpulse routeros-sim; do [ -x "$BUILD/$f" ] || { echo "missing $BUILD/$f: run scripts/setup.sh" >&2; exit 1; }; done

TMP="$(mktemp -d /tmp/rp-counters-XXXXXX)"
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
seconds() { case "$1" in *ms) echo 1;; *s) echo "${1%s}";; *m) echo $(( ${1%m} * 60 ));; esac; }

SIM_BASE=$(base_port)
"$BUILD/routeros-sim" --routers "$ROUTERS" --sessions "$SESSIONS" --base-port "$SIM_BASE" >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
PIDS+=($SIM_PID)
for _ in $(seq 100); do grep -q listening "$TMP/sim.log" && break; sleep 0.1; done

echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# routers=$ROUTERS sessions=$SESSIONS (interfaces/router=$((SESSIONS + 4))) poll_spread=${POLL_SPREAD:-default}"

for INTERVAL in $INTERVALS; do
  iv=$(seconds "$INTERVAL")
  warm=${WARMUP:-$(( iv * 3 > 15 ? iv * 3 : 15 ))}
  measure=${MEASURE:-$(( iv * 10 > 30 ? iv * 10 : 30 ))}
  HTTP_PORT=$(port)
  CONFIG="$TMP/agent-$INTERVAL.yaml"
  {
    cat <<YAML
agent:
  interval: $INTERVAL
  log_level: warn
  http: { listen: "127.0.0.1:$HTTP_PORT" }
routers:
YAML
    for i in $(seq 0 $((ROUTERS - 1))); do
      echo "  r$i: { host: 127.0.0.1, port: $((SIM_BASE + i)), username: admin }"
    done
    cat <<YAML
inputs:
  routeros_traffic:
    routers: all
    pppoe: none
    interfaces: ["*"]
    queues: none   # the counters path alone (bench/queues measures the simple queues)
YAML
    [ -n "${POLL_SPREAD:-}" ] && echo "    poll_spread: $POLL_SPREAD"
    cat <<YAML
outputs:
  prometheus: {}
pipelines:
  counters:
    inputs: [routeros_traffic]
    outputs: [prometheus]
YAML
  } >"$CONFIG"

  echo "## interval=$INTERVAL warmup=${warm}s measure=${measure}s loadavg=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
  "$BUILD/routerpulse" run -c "$CONFIG" >"$TMP/agent-$INTERVAL.log" 2>&1 &
  AGENT=$!
  PIDS+=($AGENT)
  sleep "$warm"
  kill -0 "$AGENT" || { cat "$TMP/agent-$INTERVAL.log" >&2; exit 1; }
  ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
  scrape() { curl -s --max-time 30 "http://127.0.0.1:$HTTP_PORT/metrics"; }
  a0=$(ticks "$AGENT"); t0=$(date +%s.%N); scrape >"$TMP/m0"
  sleep "$measure"
  a1=$(ticks "$AGENT"); t1=$(date +%s.%N); scrape >"$TMP/m1"
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  hwm=$(awk '/VmHWM/ {print $2, $3}' "/proc/$AGENT/status")
  /usr/bin/python3 - "$TMP/m0" "$TMP/m1" "$ROUTERS" "$elapsed" "$iv" <<'PY'
import re, sys
def load(path):
    polls, reconnects, routers_seen = {}, 0.0, set()
    global engine_overruns
    for line in open(path):
        if line.startswith("#"): continue
        m = re.match(r'(\w+)\{([^}]*)\} (\S+)', line)
        if not m: continue
        name, labels, value = m.group(1), dict(re.findall(r'(\w+)="([^"]*)"', m.group(2))), float(m.group(3))
        if name == "routerpulse_routeros_traffic_polls_total":
            polls.setdefault(labels["router"], {})[labels["result"]] = value
        elif name == "routerpulse_routeros_reconnects_total":
            reconnects += value
        elif name == "routerpulse_input_gather_overruns_total":
            engine_overruns[path] = engine_overruns.get(path, 0) + value
        elif name.startswith("interface_") and "router" in labels:
            routers_seen.add(labels["router"])
    return polls, reconnects, routers_seen
engine_overruns = {}
p0, r0, _ = load(sys.argv[1])
p1, r1, seen = load(sys.argv[2])
n = int(sys.argv[3])
tot_ok = tot_att = 0
worst = (2.0, "")
res = {"ok": 0, "failed": 0, "overrun": 0}
for r in sorted(set(p1) | {f"r{i}" for i in range(n)}):
    a, b = p0.get(r, {}), p1.get(r, {})
    d = {k: b.get(k, 0) - a.get(k, 0) for k in res}
    for k in res: res[k] += d[k]
    att = sum(d.values())
    tot_ok += d["ok"]; tot_att += att
    ratio = d["ok"] / att if att else 0.0
    worst = min(worst, (ratio, r))
print("polls_delivered=%d polls_attempted=%d delivered_pct=%.1f worst_router=%s (%.1f%%) failed=%d overrun=%d"
      % (tot_ok, tot_att, 100.0 * tot_ok / tot_att if tot_att else 0, worst[1], 100 * worst[0], res["failed"], res["overrun"]))
due = n * float(sys.argv[4]) / float(sys.argv[5])
eo = engine_overruns.get(sys.argv[2], 0) - engine_overruns.get(sys.argv[1], 0)
print("polls_due=%d delivered_of_due_pct=%.1f engine_skipped_ticks=%d" % (due, 100.0 * tot_ok / due if due else 0, eo))
print("reconnects_in_window=%d routers_on_metrics=%d/%d" % (r1 - r0, len(seen), n))
PY
  awk -v a=$((a1 - a0)) -v hz="$(getconf CLK_TCK)" -v d="$measure" 'BEGIN {printf "agent_cpu_pct_of_one_core=%.1f ", 100*a/hz/d}'
  echo "agent_peak_rss=$hwm loadavg_end=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
  kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null || true
done
