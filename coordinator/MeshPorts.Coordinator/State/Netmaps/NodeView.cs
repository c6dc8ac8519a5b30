using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>Everything one node should know at one moment: itself, its peers and its inbound rules.</summary>
internal sealed record NodeView(
    NodeRecord Self,
    string OverlayIpv4,
    string OverlayIpv6,
    IReadOnlyDictionary<string, PeerView> Peers,
    IReadOnlyDictionary<string, InboundRuleView> Rules);
