namespace MeshPorts.Node.Metrics;

/// <summary>One peer's numbers for a scrape.</summary>
/// <param name="Name">The peer's node name (the <c>peer</c> label).</param>
/// <param name="Path">"direct", "relay" or "none".</param>
/// <param name="LastHandshakeAge">Time since the last completed handshake; null before the first.</param>
internal sealed record PeerMetrics(string Name, long RxBytes, long TxBytes, long Handshakes, TimeSpan? LastHandshakeAge, string Path);

/// <summary>Everything one scrape of <c>/metrics</c> reports, read from the running node at once.</summary>
internal sealed record NodeMetricsSnapshot
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    public required IReadOnlyList<PeerMetrics> Peers { get; init; }

    /// <summary>Packets dropped, by reason label (<see cref="DropReasons"/>).</summary>
    public required IReadOnlyList<KeyValuePair<string, long>> Drops { get; init; }

    public long FlowsAdmitted { get; init; }

    public long FlowsCut { get; init; }

    public long GrantEndsEnforced { get; init; }

    public bool CoordinatorConnected { get; init; }

    public long AppliedSerial { get; init; }

    /// <summary>Connections to the metrics endpoint closed unread because it was busy (a flood of it).</summary>
    public long MetricsRejected { get; init; }
}
