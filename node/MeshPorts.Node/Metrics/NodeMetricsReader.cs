using MeshPorts.Node.Agent;

namespace MeshPorts.Node.Metrics;

/// <summary>Reads a <see cref="NodeMetricsSnapshot"/> off the running device and agent, for one scrape.</summary>
internal static class NodeMetricsReader
{
    public static string Version { get; } = typeof(NodeMetricsReader).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static NodeMetricsSnapshot Read(string name, Device.Device device, MeshAgent agent, TimeProvider time, Daemon.PathStack? paths = null, Names.NameCounters? names = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(time);
        var filter = device.Filter ?? throw new InvalidOperationException("the device has no packet filter");
        var now = time.GetUtcNow();
        var status = agent.Status();
        var peers = device.MeshPeers()
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => new PeerMetrics(p.Name, p.RxBytes, p.TxBytes, p.Handshakes, now - p.LatestHandshake, p.Path.Path))
            .ToList();
        return new NodeMetricsSnapshot
        {
            Name = name,
            Version = Version,
            Peers = peers,
            Drops = DropReasons.Totals(filter.Counters, device.Counters, device.Engine.Counters, paths?.Relay.Counters, paths?.Paths.Counters, names),
            FlowsAdmitted = filter.Counters.FlowsCreated,
            FlowsCut = filter.Counters.CutFlows,
            GrantEndsEnforced = filter.Counters.EndsEnforced,
            CoordinatorConnected = status.Connected,
            AppliedSerial = (long)Math.Min(status.Serial, long.MaxValue),
        };
    }
}
