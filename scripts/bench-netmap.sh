#!/usr/bin/env bash
# Netmap recompute benchmark (issue #13): what one grant change costs the coordinator's netmaps at 1,000
# and 10,000 nodes, the full rebuild every change used to do beside the incremental recompute it does now
# (and the indexed full path policy changes and start still take), with the ratio, in one run. In-process
# and single-threaded (bench/MeshPorts.Benchmarks/Netmaps/GrantRecomputeProbe.cs); store writes left out.
# The full rebuild at 10,000 nodes takes tens of seconds per change: the whole run takes a few minutes.
# Usage: scripts/bench-netmap.sh [--sizes 1000,10000]
# Not a test: scripts/test.sh never runs it. Exit 0 when it printed its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=1000,10000
while (($#)); do
  case $1 in
    --sizes) sizes=$2; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $sizes =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "--sizes takes node counts separated by commas, e.g. 1000,10000; got '$sizes'" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
project=bench/MeshPorts.Benchmarks
dotnet build "$project" -c Release -warnaserror -v q -nologo
dotnet "$project/bin/Release/net10.0/MeshPorts.Benchmarks.dll" --grant-recompute-probe "$sizes"
