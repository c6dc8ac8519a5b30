namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>A peer in a node's netmap. Times are Unix ms.</summary>
internal sealed record PeerView(
    string NodeId,
    string Name,
    string User,
    IReadOnlyList<string> Tags,
    byte[] WireGuardKey,
    byte[]? PreviousWireGuardKey,
    IReadOnlyList<string> AllowedIps,
    IReadOnlyList<string> Endpoints,
    long ValidUntil,
    string HomeRelay);
