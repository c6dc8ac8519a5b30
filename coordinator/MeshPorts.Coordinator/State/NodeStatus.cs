using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>A node as admins see it. LastSeen is Unix ms (0 = never since start).</summary>
internal sealed record NodeStatus(NodeRecord Node, string OverlayIpv4, string OverlayIpv6, bool Online, long LastSeen, ulong LatestSerial);
