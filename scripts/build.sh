#!/usr/bin/env bash
# Publishes meshports-node and meshctl (NativeAOT single files), meshports-coordinator and meshports-relay into artifacts/bin/.
# Usage: scripts/build.sh [--no-aot] [--quiet]
#   --no-aot  publish the node and meshctl as framework-dependent apps (faster to build, slower to start)
#   --quiet   one line per program with its time (dotnet's own output goes to artifacts/build.log and
#             is shown only when a step fails); what the demo uses when its output is not a terminal
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/bin
mkdir -p "$out"
aot=true quiet=false
for arg in "$@"; do
  case $arg in
    --no-aot) aot=false ;;
    --quiet) quiet=true ;;
    *) echo "build.sh: unknown option '$arg'; use --no-aot or --quiet" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=artifacts/build.log
: >"$log"
# step NAME COMMAND...: runs one publish; quiet, it prints "build: NAME ... 41s" and keeps dotnet's lines
# in the log unless the step fails.
step() {
  local name=$1 start=$SECONDS; shift
  if ! $quiet; then "$@"; return; fi
  printf 'build: %s ...' "$name" >&2
  if "$@" >>"$log" 2>&1; then
    printf ' %ss\n' $((SECONDS - start)) >&2
  else
    printf ' FAILED after %ss; the last lines of %s:\n' $((SECONDS - start)) "$log" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
}
if $aot; then
  # NativeAOT needs a C toolchain and zlib headers; scripts/test.sh installs them on a fresh machine.
  step "meshports-node (NativeAOT)" dotnet publish node/MeshPorts.Node/MeshPorts.Node.csproj -c Release -r linux-x64 \
    -p:PublishAot=true -p:StripSymbols=true -o artifacts/publish/node
else
  step meshports-node dotnet publish node/MeshPorts.Node/MeshPorts.Node.csproj -c Release -o artifacts/publish/node
fi
step meshports-coordinator dotnet publish coordinator/MeshPorts.Coordinator/MeshPorts.Coordinator.csproj -c Release -o artifacts/publish/coordinator
step meshports-relay dotnet publish coordinator/MeshPorts.RelayHost/MeshPorts.RelayHost.csproj -c Release -o artifacts/publish/relay
# meshctl is started once per command, so its startup is what a user waits for: NativeAOT starts in a
# tenth of the JIT's time (docs/benchmarks.md, scripts/bench-meshctl.sh).
if $aot; then
  step "meshctl (NativeAOT)" dotnet publish coordinator/MeshPorts.Ctl/MeshPorts.Ctl.csproj -c Release -r linux-x64 \
    -p:PublishAot=true -p:StripSymbols=true -o artifacts/publish/ctl
else
  step meshctl dotnet publish coordinator/MeshPorts.Ctl/MeshPorts.Ctl.csproj -c Release -o artifacts/publish/ctl
fi

# artifacts/bin holds one entry point per program; framework-dependent apps keep their folder beside it.
ln -sfn ../publish/node/meshports-node "$out/meshports-node"
ln -sfn ../publish/coordinator/meshports-coordinator "$out/meshports-coordinator"
ln -sfn ../publish/relay/meshports-relay "$out/meshports-relay"
ln -sfn ../publish/ctl/meshctl "$out/meshctl"
# wg-quick runs "$WG_QUICK_USERSPACE_IMPLEMENTATION IFNAME"; this wrapper gives it our `wg` mode.
cat >"$out/meshports-wg" <<'SH'
#!/bin/sh
exec "$(dirname "$(readlink -f "$0")")/meshports-node" wg "$@"
SH
chmod 755 "$out/meshports-wg"
$quiet || ls -l "$out"
