# shellcheck shell=bash
# The relay load section of scripts/bench-nat.sh (docs/relay.md, "Measured"): on loopback, no root, no
# namespaces. Starts a meshports-coordinator and a standalone meshports-relay joined to it (a token tagged
# relay), then `meshports-loadtest relay`: PAIRS pairs of simulated nodes, each enrolled with its own
# machine key and a join token, granted to its pair, holding its coordinator-signed ticket, a TLS stream
# and a UDP session to the relay; a direct loopback step then a relay step at each rate. Prints the
# load tool's table; returns its exit code (1: the first rate lost datagrams through the relay).
#
# relay_load_section PAIRS SECS RATES   (RATES comma-separated datagrams a second per node)
relay_load_section() (
  set -euo pipefail
  local pairs=$1 secs=$2 rates=$3 work coord_pid="" relay_pid="" port relay_port i
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  work=$(mktemp -d /tmp/meshports-relay-load.XXXXXX)
  stop_all() {
    local p
    for p in $relay_pid $coord_pid; do
      if kill -0 "$p" 2>/dev/null; then
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
      fi
    done
    rm -rf "$work"
  }
  trap stop_all EXIT
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  for p in Coordinator RelayHost LoadTest Ctl; do
    dotnet build "coordinator/MeshPorts.$p/MeshPorts.$p.csproj" -c Release -v q -nologo >"$work/build-$p.log" 2>&1 \
      || { echo "relay-load: build of MeshPorts.$p failed:" >&2; tail -20 "$work/build-$p.log" >&2; return 1; }
  done
  local bin=coordinator/MeshPorts
  port=$(free_port)
  # Warnings only, so logging does not compete with the benchmark for the CPU.
  Logging__LogLevel__Default=Warning dotnet "$bin.Coordinator/bin/Release/net10.0/meshports-coordinator.dll" \
    --data "$work/coordinator" --listen "127.0.0.1:$port" --public-url "https://127.0.0.1:$port" >"$work/coordinator.log" 2>&1 &
  coord_pid=$!
  for i in $(seq 1 300); do
    [[ -f $work/coordinator/meshctl.conf ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$coord_pid" 2>/dev/null || { echo "relay-load: the coordinator exited:" >&2; cat "$work/coordinator.log" >&2; return 1; }
    sleep 0.2
  done
  [[ -f $work/coordinator/meshctl.conf ]] || { echo "relay-load: the coordinator did not start in 60 s" >&2; return 1; }

  local join
  join=$(dotnet "$bin.Ctl/bin/Release/net10.0/meshctl.dll" token create --name relay-bench --tag relay --ttl 10m --config "$work/coordinator/meshctl.conf")
  relay_port=$(free_port)
  LOG_LEVEL=warn ${RELAY_HOST_ENV:-} dotnet "$bin.RelayHost/bin/Release/net10.0/meshports-relay.dll" --join "$join" --data "$work/relay" \
    --listen "127.0.0.1:$relay_port" --public-url "https://127.0.0.1:$relay_port" --udp-endpoint "127.0.0.1:$relay_port" >"$work/relay.log" 2>&1 &
  relay_pid=$!
  for i in $(seq 1 150); do
    grep -q "listening on" "$work/relay.log" 2>/dev/null && break
    kill -0 "$relay_pid" 2>/dev/null || { echo "relay-load: meshports-relay exited:" >&2; cat "$work/relay.log" >&2; return 1; }
    sleep 0.2
  done
  grep -q "listening on" "$work/relay.log" || { echo "relay-load: meshports-relay did not start in 30 s" >&2; cat "$work/relay.log" >&2; return 1; }

  ulimit -n 65536 2>/dev/null || true
  # The load generator runs at nice 10: on one shared machine its 400 nodes would otherwise take the CPU
  # the relay needs, and the figures would be of the machine, not of the relay.
  ${RELAY_LOAD_WRAP:-nice -n 10} dotnet "$bin.LoadTest/bin/Release/net10.0/meshports-loadtest.dll" relay --config "$work/coordinator/meshctl.conf" \
    --pairs "$pairs" --rate "$rates" --secs "$secs" --relay-id relay-bench --relay-pid "$relay_pid"
)
