#!/usr/bin/env bash
# The bare-WireGuard interop demo, on a fresh Debian machine as root. Everything stays on this machine: two
# network namespaces joined by a veth pair stand in for two hosts.
#
# What it shows today: `meshports-node wg`, our userspace WireGuard, talking to Debian's stock
# wireguard-go, both configured with the stock `wg` tool: handshake, ping both ways, an iperf3
# transfer, `wg show` on both ends. The product demo (coordinator, grants, rotation) is scripts/demo.sh.
#
# Usage: scripts/demo-wg.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=lib/deps.sh
source scripts/lib/deps.sh
meshports_require_dotnet || exit 2
meshports_install_deps
[[ ${1:-} == --no-build ]] || scripts/build.sh --quiet
node=${MESHPORTS_NODE:-$root/artifacts/bin/meshports-node}
[[ -x $node ]] || { echo "demo: $node is missing; run scripts/build.sh" >&2; exit 1; }

id=$$
a=mpdemo-a-$id b=mpdemo-b-$id
ifa=mpdemoa$((id % 10000)) ifb=mpdemob$((id % 10000))
work=$(mktemp -d)
cleanup() {
  ip netns pids "$a" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$b" 2>/dev/null | xargs -r kill 2>/dev/null || true
  sleep 0.3
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -f "/var/run/wireguard/$ifa.sock" "/var/run/wireguard/$ifb.sock"
  rm -rf "$work"
}
trap cleanup EXIT
# Colour only on a terminal, never with NO_COLOR set (https://no-color.org).
if [[ -t 1 && -z ${NO_COLOR:-} ]]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }

say "two hosts: $a (meshports-node wg) and $b (wireguard-go), joined by a veth pair"
ip netns add "$a"; ip netns add "$b"
ip link add veth-a-$id netns "$a" type veth peer name veth-b-$id netns "$b"
ip -n "$a" addr add 198.18.0.1/30 dev veth-a-$id; ip -n "$a" link set veth-a-$id up; ip -n "$a" link set lo up
ip -n "$b" addr add 198.18.0.2/30 dev veth-b-$id; ip -n "$b" link set veth-b-$id up; ip -n "$b" link set lo up

wg genkey >"$work/a.key"; wg pubkey <"$work/a.key" >"$work/a.pub"
wg genkey >"$work/b.key"; wg pubkey <"$work/b.key" >"$work/b.pub"
chmod 600 "$work"/*.key

say "start both daemons"
ip netns exec "$a" "$node" wg "$ifa"
ip netns exec "$b" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go "$ifb" 2>/dev/null

say "configure them with the stock wg tool"
ip netns exec "$a" wg set "$ifa" private-key "$work/a.key" listen-port 51820 \
  peer "$(cat "$work/b.pub")" allowed-ips 100.96.0.2/32,fd7a:6d70::2/128 endpoint 198.18.0.2:51821
ip netns exec "$b" wg set "$ifb" private-key "$work/b.key" listen-port 51821 \
  peer "$(cat "$work/a.pub")" allowed-ips 100.96.0.1/32,fd7a:6d70::1/128 endpoint 198.18.0.1:51820
ip -n "$a" addr add 100.96.0.1/24 dev "$ifa"; ip -n "$a" addr add fd7a:6d70::1/64 dev "$ifa" nodad; ip -n "$a" link set "$ifa" up
ip -n "$b" addr add 100.96.0.2/24 dev "$ifb"; ip -n "$b" addr add fd7a:6d70::2/64 dev "$ifb" nodad; ip -n "$b" link set "$ifb" up

say "ping across the tunnel, both ways, IPv4 and IPv6"
ip netns exec "$a" ping -c 3 -i 0.2 -W 2 100.96.0.2
ip netns exec "$b" ping -c 3 -i 0.2 -W 2 100.96.0.1
ip netns exec "$a" ping -6 -c 3 -i 0.2 -W 2 fd7a:6d70::2

say "iperf3: 5 s of TCP from wireguard-go to meshports-node"
ip netns exec "$a" iperf3 -s -1 -D -B 100.96.0.1
sleep 0.5
ip netns exec "$b" iperf3 -c 100.96.0.1 -t 5 -f m | tail -4

say "wg show on the meshports side"
ip netns exec "$a" wg show "$ifa"
say "wg show on the wireguard-go side"
ip netns exec "$b" wg show "$ifb"
say "done; cleaning up"
