namespace MeshPorts.Integration.Tests.Harness.Mesh;

/// <summary>`meshports-node status --json` (PRODUCT.md); <see cref="Json"/> keeps the text for field checks and messages.</summary>
internal sealed record NodeStatus(
    string Name,
    string OverlayIp,
    string PublicKey,
    DateTimeOffset? KeyExpiresAt,
    NodeCoordinatorStatus Coordinator,
    IReadOnlyList<NodeExposedStatus> Exposed,
    IReadOnlyList<NodePeerStatus> Peers)
{
    public string Json { get; init; } = "";
}
