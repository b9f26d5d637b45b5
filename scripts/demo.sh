#!/usr/bin/env bash
# The main job, as a demo POP on this machine:
#   routeros-sim (3 routers × 100 churning PPPoE customers)
#   → routerpulse (routeros_traffic → pg_enrich → lua alerts)
#   → Redis Streams + Prometheus /metrics + stdout.
# Builds if needed, starts its own Redis and PostgreSQL on private ports, and
# runs until Ctrl-C. A service that cannot start is reported and the demo runs
# with what it has (the outputs buffer and retry; pg_enrich tags misses).
#   scripts/demo.sh                  # live traffic on stdout
#   RP_DEMO_FILE=/dev/null scripts/demo.sh   # quiet: look at Redis / metrics instead
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

[ -x build/routerpulse ] && [ -x build/routeros-sim ] && [ -f build/plugins/librp_input_routeros_traffic.so ] \
  || scripts/setup.sh || exit 1

say() { printf '\033[1;36mdemo:\033[0m %s\n' "$*" >&2; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
pick() { if port_free "$1"; then echo "$1"; else free_port; fi; }

RUN=$(mktemp -d /tmp/routerpulse-demo.XXXXXX)
chmod 777 "$RUN"
PIDS=()
PG_DATA="$RUN/pg"
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1
  fi
  wait 2>/dev/null
  rm -rf "$RUN"
}
trap cleanup EXIT

SIM_BASE=18728
for p in 18728 18729 18730; do port_free "$p" || SIM_BASE=$(( $(free_port) )); done
SIM_CONTROL=$(pick 18800)
REDIS_PORT=$(pick 16379)
PG_PORT=$(pick 15432)
HTTP_PORT=$(pick 9273)
export RP_DEMO_ROUTER_PASSWORD=demo
export RP_DEMO_ROUTER1_PORT=$SIM_BASE RP_DEMO_ROUTER2_PORT=$((SIM_BASE + 1)) RP_DEMO_ROUTER3_PORT=$((SIM_BASE + 2))
export RP_DEMO_HTTP_PORT=$HTTP_PORT
export RP_DEMO_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export RP_DEMO_PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres connect_timeout=2"
export RP_DEMO_FILE="${RP_DEMO_FILE:-stdout}"

# --- routers ---------------------------------------------------------------
setsid build/routeros-sim --routers 3 --base-port "$SIM_BASE" --sessions 100 --churn 20 \
  --password demo --control-port "$SIM_CONTROL" --stats-interval 0 >"$RUN/sim.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "listening" "$RUN/sim.log" && break; sleep 0.1; done
grep -q "listening" "$RUN/sim.log" || { say "routeros-sim did not start:"; cat "$RUN/sim.log"; exit 1; }
say "routers: 3 simulated RouterOS routers on 127.0.0.1:$SIM_BASE-$((SIM_BASE + 2)) (control port $SIM_CONTROL)"

# --- Redis -----------------------------------------------------------------
REDIS_OK=0
if command -v redis-server >/dev/null; then
  setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$RUN" \
    >"$RUN/redis.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && { REDIS_OK=1; break; }; sleep 0.1; done
fi
[ $REDIS_OK = 1 ] && say "redis: 127.0.0.1:$REDIS_PORT" \
  || say "redis could not be started; redis_stream will buffer and retry (see $RUN/redis.log)"

# --- PostgreSQL --------------------------------------------------------------
PG_OK=0
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -n "$PG_BIN" ] && id postgres >/dev/null 2>&1; then
  if runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres >"$RUN/initdb.log" 2>&1 &&
     runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$RUN/pg.log" -w \
       -o "-p $PG_PORT -k $RUN -c listen_addresses=127.0.0.1" start >/dev/null 2>&1 &&
     psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
       -f etc/schema.sql -f etc/demo-seed.sql >/dev/null 2>"$RUN/psql.log"; then
    PG_OK=1
  fi
fi
[ $PG_OK = 1 ] && say "postgres: 127.0.0.1:$PG_PORT, customers user0001…user2000 (etc/demo-seed.sql)" \
  || say "PostgreSQL could not be started; metrics pass unenriched with enrich=miss (logs in $RUN)"

cat >&2 <<TXT

  Where to look (in another terminal):
    redis-cli -p $REDIS_PORT XREVRANGE mikrotik:traffic:customers + - COUNT 3
    redis-cli -p $REDIS_PORT XREAD COUNT 5 BLOCK 0 STREAMS mikrotik:alerts 0
    curl -s http://127.0.0.1:$HTTP_PORT/metrics | grep '^pppoe_traffic_download_bits_per_second' | head
    curl -s http://127.0.0.1:$HTTP_PORT/health
    printf 'fault 1 drop\n' > /dev/tcp/127.0.0.1/$SIM_CONTROL    # break router 2, watch it recover
  Ctrl-C stops the demo (the agent flushes its outputs first).

TXT

# Its own session: Ctrl-C reaches only this script, which forwards one SIGINT
# (the agent treats a second signal as "exit now, skip the flush").
setsid build/routerpulse run -c etc/demo.yaml &
AGENT=$!
trap 'kill -INT $AGENT 2>/dev/null' INT TERM
wait $AGENT
wait $AGENT 2>/dev/null
say "agent stopped"
