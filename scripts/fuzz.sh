#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + SharpFuzz) of every parser a peer, a local user or the coordinator
# can feed: each target runs SECONDS, starting from its corpus in tests/fuzz-corpus/TARGET/.
# Usage: scripts/fuzz.sh [--no-install] SECONDS [TARGET...]   (scripts/fuzz.sh --list names the targets)
# New inputs go to artifacts/fuzz/corpus/TARGET/, crashes to artifacts/fuzz/crashes/TARGET/, each
# target's libFuzzer log to artifacts/fuzz/logs/TARGET.log. Ends with one line
# 'fuzz: N targets, N execs, N crashes' and exits 1 if anything crashed (2 on a usage error).
set -euo pipefail
cd "$(dirname "$0")/.."
install=true list=false seconds="" targets=()
while (($#)); do
  case $1 in
    --no-install) install=false ;;
    --list) list=true ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) if [[ -z $seconds ]]; then seconds=$1; else targets+=("$1"); fi ;;
  esac
  shift
done
if ! $list && [[ ! $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: give the seconds each target runs, e.g. 'scripts/fuzz.sh 60' (got '${seconds}')" >&2
  exit 2
fi

# shellcheck source=lib/deps.sh
source scripts/lib/deps.sh
meshports_require_dotnet || exit 2
$install && meshports_install_deps
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

out=artifacts/fuzz
mkdir -p "$out"
dotnet build tests/MeshPorts.Fuzz -c Release -warnaserror -v quiet -nologo >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
program=tests/MeshPorts.Fuzz/bin/Release/net10.0/MeshPorts.Fuzz.dll
if $list; then dotnet "$program" list; exit 0; fi

# Instrument a copy (sharpfuzz rewrites assemblies in place, and refuses to do it twice): only the
# project's own assemblies, so the edges libFuzzer sees are ours.
rm -rf "$out/bin"
cp -r tests/MeshPorts.Fuzz/bin/Release/net10.0 "$out/bin"
dotnet tool restore >/dev/null
for assembly in MeshPorts.WireGuard.dll meshports-node.dll MeshPorts.Contracts.dll meshports-coordinator.dll MeshPorts.Relay.dll; do
  dotnet tool run sharpfuzz "$out/bin/$assembly" >/dev/null
done
# The libFuzzer driver (Debian's libfuzzer-14-dev, linked without the sanitizer runtimes it does not ship).
clang -O1 -Wall -Werror tests/MeshPorts.Fuzz/driver/libfuzzer-dotnet.c /usr/lib/llvm-14/lib/libFuzzer.a \
  -lstdc++ -lpthread -lm -o "$out/libfuzzer-dotnet"

if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(dotnet "$out/bin/MeshPorts.Fuzz.dll" list | cut -f1)
fi
total_execs=0 total_crashes=0 ran=0
mkdir -p "$out/logs"
for target in "${targets[@]}"; do
  if [[ ! -d tests/fuzz-corpus/$target ]]; then
    echo "fuzz.sh: no target '$target'; scripts/fuzz.sh --list names them" >&2
    exit 2
  fi
  rm -rf "$out/crashes/$target"
  mkdir -p "$out/corpus/$target" "$out/crashes/$target"
  log=$out/logs/$target.log
  # The first corpus folder takes what libFuzzer finds; the committed one is only read.
  MESHPORTS_FUZZ_DLL=$out/bin/MeshPorts.Fuzz.dll MESHPORTS_FUZZ_TARGET=$target \
    "$out/libfuzzer-dotnet" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$out/crashes/$target/" \
    "$out/corpus/$target" "tests/fuzz-corpus/$target" >"$log" 2>&1 || true
  execs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
  execs=${execs:-0}
  crashes=$(find "$out/crashes/$target" -type f | wc -l)
  total_execs=$((total_execs + execs)) total_crashes=$((total_crashes + crashes)) ran=$((ran + 1))
  if ((crashes > 0)); then
    echo "fuzz: $target: $execs execs, CRASHED: $(find "$out/crashes/$target" -type f | tr '\n' ' ')(log $log)"
    echo "fuzz: fix the parser, then keep the input: cp FILE tests/fuzz-corpus/$target/regression-NAME"
  elif ((execs == 0)); then
    echo "fuzz: $target: ran nothing; see $log"
    total_crashes=$((total_crashes + 1))
  else
    echo "fuzz: $target: $execs execs, $(find "$out/corpus/$target" -type f | wc -l) new inputs"
  fi
done
while read -r pending; do echo "fuzz: TODO $pending"; done < <(dotnet "$out/bin/MeshPorts.Fuzz.dll" pending)
echo "fuzz: $ran targets, $total_execs execs, $total_crashes crashes"
((total_crashes == 0))
