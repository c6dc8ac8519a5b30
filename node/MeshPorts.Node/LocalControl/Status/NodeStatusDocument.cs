namespace MeshPorts.Node.LocalControl.Status;

/// <summary>What <c>meshports-node status --json</c> prints (PRODUCT.md names the fields).</summary>
internal sealed record NodeStatusDocument
{
    public required string Name { get; init; }

    public required string Interface { get; init; }

    public required string OverlayIp { get; init; }

    public string? OverlayIpv6 { get; init; }

    public required string PublicKey { get; init; }

    public DateTimeOffset? KeyExpiresAt { get; init; }

    public int ListenPort { get; init; }

    public required CoordinatorStatusDocument Coordinator { get; init; }

    public required IReadOnlyList<ExposedStatusDocument> Exposed { get; init; }

    public required IReadOnlyList<PeerStatusDocument> Peers { get; init; }

    public required FilterStatusDocument Filter { get; init; }

    /// <summary>Packets refused, by reason (the filter's and the device's); see <see cref="DropCounts"/>.</summary>
    public IReadOnlyDictionary<string, long> Drops { get; init; } = new Dictionary<string, long>();
}
