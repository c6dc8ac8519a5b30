namespace MeshPorts.Node.Metrics;

/// <summary>The bounds of <see cref="MetricsResponder"/>; the defaults are what the node uses, tests shrink them.</summary>
internal sealed record MetricsResponderOptions
{
    /// <summary>The request line and headers together, up to the blank line.</summary>
    public int MaxHeadBytes { get; init; } = 8 * 1024;

    /// <summary>From accept to the last byte of the answer: a client slower than this is cut off.</summary>
    public TimeSpan ConnectionTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections served at once; more are closed as soon as they are accepted.</summary>
    public int MaxConnections { get; init; } = 16;
}
