namespace MeshPorts.Ctl.Api;

/// <summary>PRODUCT.md's <c>nodes list --json</c> fields, plus what the coordinator knows besides.</summary>
internal sealed record NodeView
{
    public required string Name { get; init; }

    public string? Id { get; init; }

    public string? OverlayIp { get; init; }

    public string? OverlayIpv6 { get; init; }

    public string? PublicKey { get; init; }

    public DateTimeOffset? KeyExpiresAt { get; init; }

    public bool Online { get; init; }

    public DateTimeOffset? LastSeen { get; init; }

    public ulong AppliedSerial { get; init; }

    public ulong LatestSerial { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public string? User { get; init; }

    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>"PORT/PROTO" or "PORT/PROTO=NAME", as given to <c>meshports-node up --expose</c>.</summary>
    public IReadOnlyList<string> Exposed { get; init; } = [];

    public DateTimeOffset? EnrolledAt { get; init; }

    public string? MachinePublicKey { get; init; }

    /// <summary>Discovered endpoints the node last reported; only <c>nodes show</c> fills it.</summary>
    public IReadOnlyList<string>? Candidates { get; init; }

    /// <summary>The relay the node listens on; only <c>nodes show</c> fills it.</summary>
    public string? HomeRelay { get; init; }

    /// <summary>How the node reaches each peer, as it last reported; only <c>nodes show</c> fills it.</summary>
    public IReadOnlyList<NodePathView>? Paths { get; init; }

    /// <summary>Names of the peers in its netmap; only <c>nodes show</c> fills it.</summary>
    public IReadOnlyList<string>? Peers { get; init; }
}
