using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Mapping;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.Storage;
using MeshPorts.Coordinator.Streaming;
using Microsoft.Extensions.DependencyInjection;

namespace MeshPorts.Coordinator.Tests.Support;

/// <summary>
/// Looks inside a test coordinator's netmaps: what each node was last published (its feed), what a full
/// <see cref="NetmapBuilder.Build"/> gives now, both as canonical JSON, each node's serial, and how many views
/// the coordinator has computed.
/// </summary>
internal sealed class NetmapProbe
{
    private readonly TestCoordinator _coordinator;
    private readonly FeedHub _hub;
    private readonly CoordinatorMetrics _metrics;

    public NetmapProbe(TestCoordinator coordinator)
    {
        _coordinator = coordinator;
        _hub = coordinator.Host.App.Services.GetRequiredService<FeedHub>();
        _metrics = coordinator.Host.App.Services.GetRequiredService<CoordinatorMetrics>();
    }

    public MeshState State => _coordinator.Host.State;

    public long ViewsBuilt => _metrics.NetmapViewsBuilt;

    /// <summary>
    /// Returns once a deadline handler the last clock advance started has finished: it holds the gate from its
    /// first step, and this takes the gate after it.
    /// </summary>
    public Task SettleAsync() => State.Grants.ListGrantsAsync(includeInactive: false, CancellationToken.None);

    public async Task<NodeRecord> RecordAsync(string name) =>
        (await State.Nodes.ListNodesAsync(CancellationToken.None)).Single(s => s.Node.Name == name).Node;

    public async Task<IReadOnlyList<NodeRecord>> RecordsAsync() =>
        [.. (await State.Nodes.ListNodesAsync(CancellationToken.None)).Select(s => s.Node)];

    /// <summary>Every enrolled node's netmap as a full build computes it now, by node id.</summary>
    public async Task<Dictionary<string, string>> ExpectedAsync()
    {
        var views = await State.ReferenceNetmapsAsync(CancellationToken.None);
        return views.ToDictionary(v => v.Self.Id, Canonical, StringComparer.Ordinal);
    }

    /// <summary>The view as the node would be told it, as JSON with peers and rules in id order.</summary>
    public static string Canonical(NodeView view) =>
        Canonical(ProtoMapper.Self(view), view.Peers.Values.Select(ProtoMapper.Peer), view.Rules.Values.Select(ProtoMapper.Rule));

    /// <summary>The node's netmap as its feed last published it; null when it has no feed.</summary>
    public string? Published(string nodeId) =>
        _hub.Find(nodeId)?.Current() is { } s ? Canonical(s.Self, s.Peers, s.InboundRules) : null;

    public ulong Serial(string nodeId) => _hub.LatestSerial(nodeId);

    public Dictionary<string, ulong> Serials(IEnumerable<string> nodeIds) => nodeIds.ToDictionary(id => id, Serial, StringComparer.Ordinal);

    private static string Canonical(SelfInfo? self, IEnumerable<Peer> peers, IEnumerable<InboundRule> rules)
    {
        var snapshot = new Snapshot { Self = self };
        snapshot.Peers.AddRange(peers.OrderBy(p => p.NodeId, StringComparer.Ordinal));
        snapshot.InboundRules.AddRange(rules.OrderBy(r => r.Id, StringComparer.Ordinal));
        return JsonFormatter.Default.Format(snapshot);
    }
}
