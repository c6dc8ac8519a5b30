namespace MeshPorts.Ctl.Api;

/// <summary>How a node reaches one peer, as the node last reported it.</summary>
internal sealed record NodePathView
{
    public required string Peer { get; init; }

    /// <summary>"direct", "relay-udp", "relay-tls" or "none".</summary>
    public required string Path { get; init; }

    public string? Endpoint { get; init; }

    /// <summary>The last measured round trip, null if unknown.</summary>
    public double? RttMs { get; init; }
}
