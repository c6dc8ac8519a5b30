#!/usr/bin/env bash
# Publishes meshports-node (NativeAOT single file), meshports-coordinator and meshctl into artifacts/bin/.
# Usage: scripts/build.sh [--no-aot]   (--no-aot publishes the node as a framework-dependent app)
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/bin
mkdir -p "$out"
aot=true
[[ ${1:-} == --no-aot ]] && aot=false

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if $aot; then
  # NativeAOT needs a C toolchain and zlib headers; scripts/test.sh installs them on a fresh machine.
  dotnet publish node/MeshPorts.Node/MeshPorts.Node.csproj -c Release -r linux-x64 \
    -p:PublishAot=true -p:StripSymbols=true -o artifacts/publish/node
else
  dotnet publish node/MeshPorts.Node/MeshPorts.Node.csproj -c Release -o artifacts/publish/node
fi
dotnet publish coordinator/MeshPorts.Coordinator/MeshPorts.Coordinator.csproj -c Release -o artifacts/publish/coordinator
dotnet publish coordinator/MeshPorts.Ctl/MeshPorts.Ctl.csproj -c Release -o artifacts/publish/ctl

# artifacts/bin holds one entry point per program; framework-dependent apps keep their folder beside it.
ln -sfn ../publish/node/meshports-node "$out/meshports-node"
ln -sfn ../publish/coordinator/meshports-coordinator "$out/meshports-coordinator"
ln -sfn ../publish/ctl/meshctl "$out/meshctl"
# wg-quick runs "$WG_QUICK_USERSPACE_IMPLEMENTATION IFNAME"; this wrapper gives it our `wg` mode.
cat >"$out/meshports-wg" <<'SH'
#!/bin/sh
exec "$(dirname "$(readlink -f "$0")")/meshports-node" wg "$@"
SH
chmod 755 "$out/meshports-wg"
ls -l "$out"
