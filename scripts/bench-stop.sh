#!/usr/bin/env bash
# How long the coordinator takes to exit on SIGTERM while nodes watch it, and whether the nodes notice.
# Runs the coordinator and N real nodes (`meshports-node up`) in one throwaway network namespace.
# Usage: scripts/bench-stop.sh [NODES]   (default 1; uses artifacts/bin from scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-1}
bin=$PWD/artifacts/bin
for p in meshports-coordinator meshctl meshports-node; do
  [[ -x $bin/$p ]] || { echo "bench-stop: $bin/$p missing: run scripts/build.sh first" >&2; exit 2; }
done
ns=mpstop$$
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
# For foreground commands only: a function run with & is a subshell, and its PID is not the program's.
in_ns() { ip netns exec "$ns" "$@"; }

ip netns exec "$ns" "$bin/meshports-coordinator" --data "$work/coord" --listen 127.0.0.1:7443 --public-url https://127.0.0.1:7443 >"$work/coord.log" 2>&1 &
coord=$!
pids+=("$coord")
for _ in $(seq 300); do grep -q "^listening on" "$work/coord.log" && break; sleep 0.1; done
for i in $(seq "$nodes"); do
  MESHCTL_CONFIG=$work/coord/meshctl.conf in_ns "$bin/meshctl" token create --name "n$i" >"$work/n$i.join" 2>/dev/null
  ip netns exec "$ns" "$bin/meshports-node" up --join-file "$work/n$i.join" --ifname "mps$$x$i" --state "$work/n$i" \
    --listen-port $((52000 + i)) --endpoint "127.0.0.1:$((52000 + i))" >"$work/n$i.log" 2>&1 &
  pids+=("$!")
done
connected() { in_ns "$bin/meshports-node" status --ifname "mps$$x$1" --json 2>/dev/null | grep -q '"connected": *true'; }
for i in $(seq "$nodes"); do
  for _ in $(seq 300); do connected "$i" && break; sleep 0.1; done
  connected "$i" || { echo "bench-stop: node n$i never connected:" >&2; cat "$work/n$i.log" >&2; exit 1; }
done

t0=$(date +%s.%N)
kill -TERM "$coord"
wait "$coord" || true
t1=$(date +%s.%N)
sleep 0.5
still=0
for i in $(seq "$nodes"); do connected "$i" && still=$((still + 1)); done
awk -v a="$t0" -v b="$t1" -v n="$nodes" -v s="$still" \
  'BEGIN { printf "coordinator stop with %d node(s) watching: %.3f s to exit; %d node(s) still say connected 0.5 s later\n", n, b - a, s }'
grep -h "coordinator stopping" "$work/coord.log" || true
