#!/usr/bin/env bash
# Coordinator load benchmark (issue #13): starts real meshports-coordinator replicas on 127.0.0.1 (replica B on
# a copy of A's data dir, both on one database) and runs meshports-loadtest against them: N simulated nodes as
# gRPC clients in one process, half enrolled through and watching A, half B. Measures enrollment rate, grant
# change -> node delta latency p50/p99 (grants alternately through A and B, so half the deltas cross replicas;
# target p99 < 1 s), one-peer delta and snapshot sizes, CPU per grant change and RSS per replica, then kills
# A with SIGKILL and times until every node that watched A has a Watch stream and snapshot on B, and sends one
# more grant through B to those nodes. Runs on PostgreSQL (a throwaway server in a temp dir, removed after)
# and on SQLite (one shared file), and prints both side by side. A benchmark, not a test: it prints figures;
# exit 1 only if p99 >= 1 s or a delta (or a node after failover) was lost.
# Usage: scripts/bench-coordinator.sh [--quick] [--store sqlite|postgres|both] [--replicas 2|1] [--nodes 10000]
#                                     [--sizes 100,500,2000] [--grants 200] [--concurrency 32] [--failover on|off]
#   --quick: 500 nodes, 20 grant changes (finishes in a few minutes); --nodes/--grants after it override.
#   --replicas 1: one coordinator, no failover (the benchmark before replicas).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

store=both replicas=2 pass=() nodes=10000 grants=200 sizes=""
while (($#)); do
  case $1 in
    --quick) nodes=500 grants=20; shift ;;
    --store) store=${2:-}; shift 2 ;;
    --replicas) replicas=${2:-}; shift 2 ;;
    --nodes) nodes=${2:-}; shift 2 ;;
    --grants) grants=${2:-}; shift 2 ;;
    --sizes) sizes=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done
case $store in sqlite|postgres|both) ;; *) echo "bench: --store $store: expected sqlite, postgres or both" >&2; exit 2 ;; esac
case $replicas in 1|2) ;; *) echo "bench: --replicas $replicas: expected 1 or 2" >&2; exit 2 ;; esac
pass+=(--nodes "$nodes" --grants "$grants")
[[ -n $sizes ]] && pass+=(--sizes "$sizes")

dotnet build coordinator/MeshPorts.Coordinator/MeshPorts.Coordinator.csproj -c Release -v q -nologo
dotnet build coordinator/MeshPorts.LoadTest/MeshPorts.LoadTest.csproj -c Release -v q -nologo
coordinator=coordinator/MeshPorts.Coordinator/bin/Release/net10.0/meshports-coordinator.dll
loadtest=coordinator/MeshPorts.LoadTest/bin/Release/net10.0/meshports-loadtest.dll

work=$(mktemp -d /tmp/meshports-bench.XXXXXX)
pg_dir="" pg_bin="" pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do stop_pid "$p"; done
  if [[ -n $pg_dir && -f $pg_dir/data/postmaster.pid ]]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [[ -n $pg_dir ]] && rm -rf "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The coordinators are disowned (the failover step kills A with SIGKILL, and bash would print a job notice),
# so stopping one is a signal and a wait for the pid to go.
stop_pid() {
  local i
  kill "$1" 2>/dev/null || return 0
  for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A PostgreSQL server of its own, as the coordinator tests start one: initdb and pg_ctl as the postgres user,
# listening only on a unix socket in its directory. fsync stays on, as SQLite's synchronous=FULL does.
start_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -x $pg_bin/initdb ]] || { echo "bench: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql, or --store sqlite" >&2; exit 1; }
  pg_dir=$(mktemp -d /tmp/meshports-bench-pg.XXXXXX)
  chown postgres:postgres "$pg_dir"
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >"$pg_dir/initdb.log" 2>&1 \
    || { echo "bench: initdb failed:"; cat "$pg_dir/initdb.log"; exit 1; }
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-k $pg_dir -c listen_addresses='' -c max_connections=300" start >/dev/null \
    || { echo "bench: PostgreSQL did not start:"; tail -20 "$pg_dir/server.log"; exit 1; }
}

# Waits for DATA/meshctl.conf and the TLS port of a coordinator started in the background.
wait_up() { # pid port data log
  local i
  for i in $(seq 1 300); do
    [[ -f $3/meshctl.conf ]] && (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    kill -0 "$1" 2>/dev/null || { echo "bench: coordinator exited:"; cat "$4"; exit 1; }
    sleep 0.2
  done
  echo "bench: coordinator did not start in 60 s"; cat "$4"; exit 1
}

# One store's run: replicas up, the load tool, figures into $work/NAME.json.
run_store() { # label store-spec dir
  local label=$1 spec=$2 dir=$3 port_a port_b urls pid_a pid_b=""
  mkdir -p "$dir"
  port_a=$(free_port) port_b=$(free_port)
  urls="https://127.0.0.1:$port_a"
  ((replicas == 2)) && urls+=",https://127.0.0.1:$port_b"
  # Warnings only, so the coordinators' logs do not compete with the benchmark for the CPU.
  LOG_LEVEL=warn dotnet "$coordinator" --data "$dir/a" --listen "127.0.0.1:$port_a" --public-url "$urls" --store "$spec" >"$dir/a.log" 2>&1 &
  pid_a=$!
  disown "$pid_a"
  pids+=("$pid_a")
  wait_up "$pid_a" "$port_a" "$dir/a" "$dir/a.log"
  if ((replicas == 2)); then
    # A replica serves the same TLS key and admin credential: a copy of the first one's data dir.
    cp -a "$dir/a" "$dir/b"
    LOG_LEVEL=warn dotnet "$coordinator" --data "$dir/b" --listen "127.0.0.1:$port_b" --public-url "$urls" --store "$spec" >"$dir/b.log" 2>&1 &
    pid_b=$!
    disown "$pid_b"
    pids+=("$pid_b")
    wait_up "$pid_b" "$port_b" "$dir/b" "$dir/b.log"
  fi
  echo "== $label: replicas up ($urls) ==" >&2
  local rc=0
  # Progress rows go to stderr as they happen; of the tool's own summary only the delta sizes by mesh size are new.
  dotnet "$loadtest" --config "$dir/a/meshctl.conf" --pid "$pid_a${pid_b:+,$pid_b}" --label "$label" --figures "$work/$label.json" "${pass[@]}" \
    >"$dir/summary.txt" || rc=$?
  sed -n '/^one-peer delta size/,$p' "$dir/summary.txt"
  ((rc <= 1)) || { echo "bench: the load tool failed on $label (exit $rc); coordinator logs:"; tail -20 "$dir/a.log" "$dir"/b.log 2>/dev/null; exit "$rc"; }
  stop_pid "$pid_a"
  if [[ -n $pid_b ]]; then stop_pid "$pid_b"; fi
}

ulimit -n 65536 2>/dev/null || true
figures=()
if [[ $store == postgres || $store == both ]]; then
  start_postgres
  runuser -u postgres -- "$pg_bin/createdb" -h "$pg_dir" -U postgres meshports
  run_store PostgreSQL "postgres:Host=$pg_dir;Username=postgres;Database=meshports" "$work/postgres"
  figures+=("$work/PostgreSQL.json")
fi
if [[ $store == sqlite || $store == both ]]; then
  run_store SQLite "sqlite:$work/sqlite/shared.db" "$work/sqlite"
  figures+=("$work/SQLite.json")
fi

echo
dotnet "$loadtest" compare "${figures[@]}"
