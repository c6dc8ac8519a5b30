namespace MeshPorts.Ctl.Api;

/// <summary>PRODUCT.md's <c>nodes list --json</c> fields, plus the IPv6 address and endpoints.</summary>
internal sealed record NodeView
{
    public required string Name { get; init; }

    public string? OverlayIp { get; init; }

    public string? OverlayIpv6 { get; init; }

    public string? PublicKey { get; init; }

    public DateTimeOffset? KeyExpiresAt { get; init; }

    public bool Online { get; init; }

    public DateTimeOffset? LastSeen { get; init; }

    public ulong AppliedSerial { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public string? User { get; init; }

    public IReadOnlyList<string> Endpoints { get; init; } = [];
}
