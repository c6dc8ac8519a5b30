#!/usr/bin/env bash
# Micro-benchmarks (BenchmarkDotNet) of the per-packet and per-handshake code: AEAD seal/open, the
# engine's ProcessOutbound/ProcessInbound, handshake initiation/response/cookie reply, allowed-IPs
# lookups and the packet filter. Builds Release, runs a quick exact allocation probe of the engine data
# path, then the benchmarks with a short job (the whole suite takes about 5 minutes on 2 cores), and
# prints one compact table. Full reports land in artifacts/bench-micro/results/.
# Usage: scripts/bench-micro.sh [FILTER] [-- EXTRA BENCHMARKDOTNET ARGS]
#   FILTER is a BenchmarkDotNet glob over Namespace.Type.Method, default '*', e.g. '*Aead*', '*Engine*'.
# Not a test: scripts/test.sh never runs it. Exit 1 if a benchmark failed (e.g. its steady-state check).
set -euo pipefail
cd "$(dirname "$0")/.."
filter='*' extra=()
while (($#)); do
  case $1 in
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) filter=$1 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
project=bench/MeshPorts.Benchmarks
out=artifacts/bench-micro
dotnet build "$project" -c Release -warnaserror -v q -nologo
dll=$project/bin/Release/net10.0/MeshPorts.Benchmarks.dll

echo "=== allocation probe (GC.GetAllocatedBytesForCurrentThread over 10,000 packets)"
dotnet "$dll" --alloc-probe

echo "=== benchmarks ($filter)"
rm -rf "$out/results"
log=$(mktemp)
status=0
dotnet "$dll" --filter "$filter" --artifacts "$out" "${extra[@]}" 2>&1 | tee "$log" >/dev/null || status=1
grep -qE '^// \* (Legends|Summary) \*' "$log" || { tail -40 "$log"; echo "bench-micro.sh: no summary (build or run failure, log above)"; rm -f "$log"; exit 1; }
if grep -qiE 'Benchmarks with issues|failed to build|exception|error:' "$log"; then
  echo "bench-micro.sh: some benchmarks failed:"; grep -iE 'exception|error:|^  [A-Za-z]+Benchmarks\.' "$log" | sort -u | head -20
  status=1
fi
rm -f "$log"

# The joined GitHub-markdown report, cut to the columns that matter.
# shellcheck disable=SC2012 # BenchmarkDotNet names its reports; newest first is what ls -t gives
report=$(ls -t "$out"/results/*-report-github.md 2>/dev/null | head -1)
[[ -n $report ]] || { echo "bench-micro.sh: no report in $out/results" >&2; exit 1; }
echo
awk -F'|' '
  /^\|/ {
    gsub(/\*\*/, "")
    if (!cols) {
      for (i = 2; i < NF; i++) { h = $i; gsub(/^ +| +$/, "", h); if (h ~ /^(Type|Method|Size|UnderLoad|Mean|Op\/s|Allocated)$/) keep[++cols] = i }
    }
    line = "|"; for (c = 1; c <= cols; c++) line = line $(keep[c]) "|"; print line
  }' "$report"
echo
echo "date: $(date -u +%FT%TZ), $(nproc) cores; full report: $report"
exit $status
