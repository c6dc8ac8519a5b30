using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

/// <summary>What denials are grouped by: who tried, with what protocol, on which local port.</summary>
internal readonly record struct DeniedFlowKey(WgKey Peer, byte IpProtocol, ushort Port);
