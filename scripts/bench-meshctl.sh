#!/usr/bin/env bash
# meshctl startup benchmark (issue #14): starts a throwaway coordinator on 127.0.0.1 (data in a temp dir,
# removed after), creates a join token with meshctl, then times `meshctl nodes list` N times with the
# NativeAOT build and N times with the JIT build (`dotnet meshctl.dll`), and prints median and p90 of each
# and their ratio side by side, plus one MESHCTL_TRACE_TIMING line per build. A benchmark, not a test: it
# prints figures and exits 0 unless something failed to run. docs/benchmarks.md keeps the figures.
# Usage: scripts/bench-meshctl.sh [-n 30] [--no-build]
#   -n N        runs per build (default 30), after 3 warm-up runs each
#   --no-build  use artifacts/publish/ctl/meshctl (scripts/build.sh's AOT build), the JIT meshctl.dll and the
#               coordinator already built (artifacts/bin/meshports-coordinator or the Release dll)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

runs=30 build=true
while (($#)); do
  case $1 in
    -n) runs=${2:-}; shift 2 ;;
    --no-build) build=false; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-meshctl: unknown option '$1'; use -n N or --no-build" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench-meshctl: -n $runs: expected a positive number of runs" >&2; exit 2; }

aot=artifacts/publish/ctl/meshctl
jit_dll=artifacts/publish/ctl-jit/meshctl.dll
if $build; then
  echo "building meshctl (NativeAOT and JIT) and the coordinator ..." >&2
  dotnet publish coordinator/MeshPorts.Ctl/MeshPorts.Ctl.csproj -c Release -r linux-x64 -p:PublishAot=true \
    -p:StripSymbols=true -o artifacts/publish/ctl -v q -nologo >/dev/null
  dotnet publish coordinator/MeshPorts.Ctl/MeshPorts.Ctl.csproj -c Release -o artifacts/publish/ctl-jit -v q -nologo >/dev/null
  dotnet build coordinator/MeshPorts.Coordinator/MeshPorts.Coordinator.csproj -c Release -v q -nologo >/dev/null
fi
[[ -f $jit_dll ]] || jit_dll=coordinator/MeshPorts.Ctl/bin/Release/net10.0/meshctl.dll
coordinator=(dotnet coordinator/MeshPorts.Coordinator/bin/Release/net10.0/meshports-coordinator.dll)
if ! $build && [[ -x artifacts/bin/meshports-coordinator ]]; then coordinator=(artifacts/bin/meshports-coordinator); fi
[[ -n ${MESHPORTS_COORDINATOR:-} ]] && coordinator=("$MESHPORTS_COORDINATOR")

# A JIT publish leaves a small apphost named meshctl; the AOT one is the whole program (megabytes).
if [[ ! -x $aot ]] || (($(stat -c %s "$aot") < 2000000)); then
  echo "bench-meshctl: $aot is not a NativeAOT build; run scripts/build.sh (without --no-aot) or drop --no-build" >&2
  exit 1
fi
[[ -f $jit_dll ]] || { echo "bench-meshctl: no JIT meshctl.dll; run 'dotnet build coordinator/MeshPorts.Ctl -c Release' or drop --no-build" >&2; exit 1; }
[[ ${coordinator[0]} != dotnet || -f ${coordinator[1]} ]] || {
  echo "bench-meshctl: no coordinator build; run scripts/build.sh or drop --no-build" >&2
  exit 1
}

work=$(mktemp -d /tmp/meshports-bench-meshctl.XXXXXX)
coord_pid=""
cleanup() {
  if [[ -n $coord_pid ]]; then
    kill "$coord_pid" 2>/dev/null || true
    wait "$coord_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${coordinator[@]}" --data "$work/data" --listen "127.0.0.1:$port" --public-url "https://127.0.0.1:$port" >"$work/coordinator.log" 2>&1 &
coord_pid=$!
for ((i = 0; i < 300; i++)); do
  grep -q 'listening' "$work/coordinator.log" 2>/dev/null && break
  kill -0 "$coord_pid" 2>/dev/null || { echo "bench-meshctl: the coordinator exited; its log:" >&2; cat "$work/coordinator.log" >&2; exit 1; }
  sleep 0.1
done
grep -q 'listening' "$work/coordinator.log" || { echo "bench-meshctl: the coordinator did not come up in 30 s" >&2; exit 1; }
export MESHCTL_CONFIG=$work/data/meshctl.conf

# One join token, so the coordinator's store is in use; the timed command is the read-only nodes list.
created=$("$aot" token create --name bench-node --ttl 10m 2>&1) || { echo "bench-meshctl: meshctl token create failed: $created" >&2; exit 1; }

# time_runs LABEL COMMAND...: N timed runs (ms, one per line) into $work/LABEL.ms after 3 warm-ups.
time_runs() {
  local label=$1 i start end; shift
  for ((i = 0; i < 3; i++)); do "$@" nodes list >/dev/null; done
  : >"$work/$label.ms"
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N)
    "$@" nodes list >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000)) >>"$work/$label.ms"
  done
}
# stat FILE: "median p90" in ms (nearest rank).
stat_ms() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    m = int((NR + 1) / 2); p = int(NR * 0.9 + 0.999); if (p < 1) p = 1
    printf "%.1f %.1f\n", v[m] / 1000, v[p] / 1000 }'
}

echo "timing $runs runs of 'meshctl nodes list' per build ..." >&2
time_runs aot "$aot"
time_runs jit dotnet "$jit_dll"
read -r aot_med aot_p90 < <(stat_ms "$work/aot.ms")
read -r jit_med jit_p90 < <(stat_ms "$work/jit.ms")

echo "meshctl nodes list, $runs runs per build, coordinator on 127.0.0.1 ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
printf '%-10s %12s %12s\n' build median p90
printf '%-10s %9s ms %9s ms\n' "NativeAOT" "$aot_med" "$aot_p90" "JIT" "$jit_med" "$jit_p90"
printf '%-10s %11sx %11sx\n' "JIT/AOT" "$(awk -v a="$aot_med" -v j="$jit_med" 'BEGIN { printf "%.1f", j / a }')" \
  "$(awk -v a="$aot_p90" -v j="$jit_p90" 'BEGIN { printf "%.1f", j / a }')"
echo "target (issue #14): NativeAOT median <= 100 ms: $(awk -v a="$aot_med" 'BEGIN { print (a <= 100 ? "met" : "MISSED") }')"
echo "phases of one run (MESHCTL_TRACE_TIMING=1):"
printf '  NativeAOT: %s\n' "$(MESHCTL_TRACE_TIMING=1 "$aot" nodes list 2>&1 >/dev/null)"
printf '  JIT:       %s\n' "$(MESHCTL_TRACE_TIMING=1 dotnet "$jit_dll" nodes list 2>&1 >/dev/null)"
