#!/usr/bin/env bash
# Coordinator load benchmark: starts a real meshports-coordinator on 127.0.0.1 with a temp data dir, runs
# meshports-loadtest against it (N simulated nodes as gRPC clients in one process) and prints a table:
# enrollment rate, grant-change delta latency p50/p99 (target p99 < 1 s), one-peer delta size by mesh size,
# coordinator RSS and CPU seconds. A benchmark, not a test: it prints figures; exit 1 only if p99 >= 1 s or
# a delta was lost.
# Usage: scripts/bench-coordinator.sh [--nodes 2000] [--sizes 100,500,2000] [--grants 200] [--concurrency 32]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build coordinator/MeshPorts.Coordinator/MeshPorts.Coordinator.csproj -c Release -v q -nologo
dotnet build coordinator/MeshPorts.LoadTest/MeshPorts.LoadTest.csproj -c Release -v q -nologo

data=$(mktemp -d /tmp/meshports-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
coord_pid=""
cleanup() {
  if [[ -n $coord_pid ]] && kill -0 "$coord_pid" 2>/dev/null; then
    kill "$coord_pid" 2>/dev/null || true
    wait "$coord_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT INT TERM

# Warnings only, so the coordinator's log does not compete with the benchmark for the CPU.
Logging__LogLevel__Default=Warning \
  dotnet coordinator/MeshPorts.Coordinator/bin/Release/net10.0/meshports-coordinator.dll \
  --data "$data/data" --listen "127.0.0.1:$port" --public-url "https://127.0.0.1:$port" >"$data/coordinator.log" 2>&1 &
coord_pid=$!

for _ in $(seq 1 300); do
  [[ -f $data/data/meshctl.conf ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$coord_pid" 2>/dev/null || { echo "bench: coordinator exited:"; cat "$data/coordinator.log"; exit 1; }
  sleep 0.2
done
[[ -f $data/data/meshctl.conf ]] || { echo "bench: coordinator did not start in 60 s"; cat "$data/coordinator.log"; exit 1; }

ulimit -n 65536 2>/dev/null || true
dotnet coordinator/MeshPorts.LoadTest/bin/Release/net10.0/meshports-loadtest.dll \
  --config "$data/data/meshctl.conf" --pid "$coord_pid" "$@"
