#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (root), builds everything, and runs every
# test project, one after another (the integration tests drive processes in network namespaces and
# must not compete with each other for the two cores).
# Usage: scripts/test.sh [--no-install] [--filter EXPR] [PROJECT...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
install=true filter="" projects=()
while (($#)); do
  case $1 in
    --no-install) install=false ;;
    --filter) filter=$2; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) projects+=("$1") ;;
  esac
  shift
done

# shellcheck source=lib/deps.sh
source scripts/lib/deps.sh
meshports_require_dotnet || exit 2
$install && meshports_install_deps

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
scripts/build.sh
export MESHPORTS_NODE=$root/artifacts/bin/meshports-node
export MESHPORTS_COORDINATOR=$root/artifacts/bin/meshports-coordinator
export MESHCTL=$root/artifacts/bin/meshctl

dotnet build MeshPorts.sln -c Release -warnaserror

if ((${#projects[@]} == 0)); then
  mapfile -t projects < <(ls tests/*/*.Tests.csproj)
fi
passed=0 failed=0 skipped=0 status=0 failures=()
# Dockerfile.node and the systemd units: the checks that can run without a Docker engine or systemd.
echo "=== scripts/check-packaging.sh"
if scripts/check-packaging.sh; then passed=$((passed + 1)); else status=1; failed=$((failed + 1)) failures+=("Failed scripts/check-packaging.sh"); fi
# A short fuzz pass (4 s a target: under two minutes with the instrumenting, 1m57s at 5 s on a loaded 2-core box); the corpus replay in
# tests/MeshPorts.Fuzz.Tests is the part that is the same on every run.
echo "=== scripts/fuzz.sh 4"
if scripts/fuzz.sh --no-install 4; then passed=$((passed + 1)); else status=1; failed=$((failed + 1)) failures+=("Failed scripts/fuzz.sh 4 (inputs in artifacts/fuzz/crashes)"); fi
log=$(mktemp)
# dotnet test's closing block: "Total tests: 44" then "     Passed: 44", "     Failed: 1", "    Skipped: 2".
count() { sed -n '/^Total tests: /,$p' "$log" | grep -E "^ +$1: [0-9]+ *$" | tail -1 | grep -oE '[0-9]+' || echo 0; }
for p in "${projects[@]}"; do
  echo "=== $p"
  # A hung test fails its project after 15 minutes, naming itself, instead of eating the rest of the CI budget.
  args=(test "$p" -c Release --no-build --logger "console;verbosity=normal" --blame-hang-timeout 15m --blame-hang-dump-type none)
  [[ -n $filter ]] && args+=(--filter "$filter")
  if ! dotnet "${args[@]}" 2>&1 | tee "$log"; then status=1; fi
  if ! grep -qE '^Total tests: [0-9]+' "$log"; then
    echo "test.sh: $p produced no test summary (build or host failure)"; status=1; failed=$((failed + 1)); failures+=("Failed $p (no test summary)"); continue
  fi
  ps=$(count Passed) f=$(count Failed) s=$(count Skipped)
  # CI shows only the end of the output: keep each failed or skipped test's name for the summary.
  mapfile -t -O "${#failures[@]}" failures < <(grep -E '^ +(Failed|Skipped) [A-Za-z_]' "$log" | sed 's/^ *//' || true)
  passed=$((passed + ps)) failed=$((failed + f)) skipped=$((skipped + s))
done
rm -f "$log"
echo
for f in "${failures[@]}"; do echo "test.sh: $f"; done
echo "tests: $passed passed, $failed failed, $skipped skipped"
((failed == 0 && skipped == 0)) || status=1
exit $status
