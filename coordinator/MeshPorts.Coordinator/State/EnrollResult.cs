using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>What an enrolled node is told about itself.</summary>
internal sealed record EnrollResult(NodeRecord Node, string OverlayIpv4, string OverlayIpv6, string Ipv4Prefix, string Ipv6Prefix, TimeSpan KeyLifetime);
