#!/usr/bin/env bash
# Test/benchmark network for the icmp input (no traffic leaves the machine).
#
#   netns.sh up TAG     creates namespaces rpi-p-TAG (prober), rpi-t-TAG (target)
#                       and rpi-d-TAG (delaying responder's host):
#     prober 10.98.0.1/30 <-veth-> target 10.98.0.2/30
#       target answers all of 10.200.0.0/16, 10.204.0.0/16 and fd42:200::/112 (local routes)
#       10.201.0.0/16 and fd42:201::/112 are blackholed there ("down")
#       10.203.0.0/24 is "unreachable" there (ICMP errors, not rate-limited)
#     prober 10.99.0.1/30 <-veth-> delay host 10.99.0.2/30
#       10.202.0.0/24 is local there, the kernel ignores echo requests and
#       icmp-delay-responder (started by the caller) answers them late
#   netns.sh loss TAG PERMILLE   drops that share of echo requests in the target (nftables numgen)
#   netns.sh noloss TAG
#   netns.sh rps TAG CPUMASK     process the target's receive side (its echo replies) on
#                                these CPUs (RPS on rq1), like a remote host would
#   netns.sh down TAG
set -euo pipefail
cmd=$1 tag=$2
P=rpi-p-$tag T=rpi-t-$tag D=rpi-d-$tag
case "$cmd" in
  up)
    for n in $P $T $D; do ip netns del $n 2>/dev/null || true; ip netns add $n; ip -n $n link set lo up; done
    ip link add rq0 netns $P type veth peer name rq1 netns $T
    ip link add rq2 netns $P type veth peer name rq3 netns $D
    ip -n $P addr add 10.98.0.1/30 dev rq0; ip -n $T addr add 10.98.0.2/30 dev rq1
    ip -n $P addr add 10.99.0.1/30 dev rq2; ip -n $D addr add 10.99.0.2/30 dev rq3
    ip -n $P -6 addr add fd98::1/64 dev rq0 nodad; ip -n $T -6 addr add fd98::2/64 dev rq1 nodad
    for l in "$P rq0" "$P rq2" "$T rq1" "$D rq3"; do set -- $l; ip -n $1 link set $2 up; done
    ip -n $T route add local 10.200.0.0/16 dev lo
    ip -n $T route add local 10.204.0.0/16 dev lo
    ip -n $T route add blackhole 10.201.0.0/16
    ip -n $T route add unreachable 10.203.0.0/24
    ip -n $T -6 route add local fd42:200::/112 dev lo
    ip -n $T -6 route add blackhole fd42:201::/112
    ip -n $P route add 10.200.0.0/15 via 10.98.0.2
    ip -n $P route add 10.203.0.0/24 via 10.98.0.2
    ip -n $P route add 10.204.0.0/16 via 10.98.0.2
    ip -n $P -6 route add fd42:200::/111 via fd98::2
    ip -n $D route add local 10.202.0.0/24 dev lo
    ip -n $P route add 10.202.0.0/24 via 10.99.0.2
    ip netns exec $T sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000
    ip netns exec $D sysctl -qw net.ipv4.icmp_echo_ignore_all=1
    ;;
  loss)
    ip netns exec $T nft "add table inet rpi_loss; add chain inet rpi_loss in { type filter hook input priority 0; };
      add rule inet rpi_loss in icmp type echo-request numgen random mod 1000 < $3 drop;
      add rule inet rpi_loss in icmpv6 type echo-request numgen random mod 1000 < $3 drop"
    ;;
  rps)
    ip netns exec $T sh -c "echo $3 > /sys/class/net/rq1/queues/rx-0/rps_cpus"
    ;;
  noloss)
    ip netns exec $T nft delete table inet rpi_loss 2>/dev/null || true
    ;;
  down)
    for n in $P $T $D; do ip netns del $n 2>/dev/null || true; done
    ;;
  *) echo "usage: $0 up|down|loss|noloss TAG [PERMILLE]" >&2; exit 2 ;;
esac
