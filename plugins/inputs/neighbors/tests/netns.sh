#!/usr/bin/env bash
# Test network for the neighbors input's MNDP listener (no traffic leaves the machine).
#   netns.sh up TAG     namespaces nbr-a-TAG (the agent) and nbr-d-TAG (an MNDP-only device):
#                         agent nb0 10.97.0.1/24 <-veth-> device nb1 10.97.0.2/24,
#                         each with a default route on its veth so 255.255.255.255 goes out there
#   netns.sh down TAG
set -euo pipefail
cmd=$1 tag=$2
A=nbr-a-$tag D=nbr-d-$tag
case "$cmd" in
  up)
    for n in $A $D; do ip netns del $n 2>/dev/null || true; ip netns add $n; ip -n $n link set lo up; done
    ip link add nb0 netns $A type veth peer name nb1 netns $D
    ip -n $A addr add 10.97.0.1/24 dev nb0; ip -n $D addr add 10.97.0.2/24 dev nb1
    ip -n $A link set nb0 up; ip -n $D link set nb1 up
    ip -n $A route add default dev nb0; ip -n $D route add default dev nb1
    ;;
  down)
    for n in $A $D; do ip netns del $n 2>/dev/null || true; done
    ;;
  *) echo "usage: $0 up|down TAG" >&2; exit 2 ;;
esac
