#!/bin/sh
# Stand-in for `meshports-node wg IFNAME -f` that runs wireguard-go instead. It proves the harness
# itself on every pair shape, so a red meshports test can be blamed on the binary, not the plumbing:
#   MESHPORTS_NODE=$PWD/tests/MeshPorts.Integration.Tests/tools/wireguard-go-as-meshports.sh \
#     dotnet test tests/MeshPorts.Integration.Tests/MeshPorts.Integration.Tests.csproj
[ "$1" = wg ] && [ "$3" = -f ] || { echo "usage: $0 wg IFNAME -f" >&2; exit 2; }
WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 exec wireguard-go -f "$2"
