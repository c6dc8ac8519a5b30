using System.Collections.Concurrent;
using Google.Protobuf;
using MeshPorts.Contracts.Node;
using MeshPorts.Coordinator.Metrics;
using MeshPorts.Coordinator.State;
using MeshPorts.Coordinator.State.Netmaps;

namespace MeshPorts.Coordinator.Streaming;

/// <summary>All node feeds; State publishes into it, Watch streams read from it.</summary>
internal sealed class FeedHub : INetmapPublisher
{
    private readonly ConcurrentDictionary<string, NodeFeed> _feeds = new(StringComparer.Ordinal);
    private readonly int _capacity;
    private readonly CoordinatorMetrics _metrics;
    private readonly TimeProvider _time;

    /// <param name="time">The coordinator's clock (apply lag is measured on it); the system clock when null.</param>
    public FeedHub(int capacity, CoordinatorMetrics metrics, TimeProvider? time = null)
    {
        _capacity = capacity;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>This process's feed epoch (see <see cref="NodeFeed"/>); set once at start, before any feed exists.</summary>
    public uint Epoch { get; set; }

    /// <summary>The DNS suffix every node is told (--dns-suffix); set once at start, before any feed exists.</summary>
    public string DnsSuffix { get; init; } = Options.DnsSuffixes.Default;

    public void Seed(string nodeId) => _feeds.GetOrAdd(nodeId, _ => new NodeFeed(_capacity, Epoch, _time, DnsSuffix));

    public IReadOnlyDictionary<string, ulong> Publish(IReadOnlyCollection<NodeView> views)
    {
        ArgumentNullException.ThrowIfNull(views);
        var changed = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var view in views)
        {
            var feed = _feeds.GetOrAdd(view.Self.Id, _ => new NodeFeed(_capacity, Epoch, _time, DnsSuffix));
            if (feed.Publish(view) is { } serial)
            {
                changed[view.Self.Id] = serial;
                _metrics.DeltaSent();
            }
        }

        return changed;
    }

    public NodeFeed? Find(string nodeId) => _feeds.TryGetValue(nodeId, out var feed) ? feed : null;

    public void Disconnect(string nodeId)
    {
        if (_feeds.TryRemove(nodeId, out var feed))
        {
            feed.Close();
        }
    }

    public bool SendRotateNow(string nodeId, string reason) =>
        Find(nodeId)?.SendTransient(new WatchEvent { RotateNow = new RotateNow { Reason = reason } }) ?? false;

    public void SendRotationReady(string nodeId, byte[] newKey, bool keepForNextStream)
    {
        var evt = new WatchEvent { RotationReady = new RotationReady { NewWireguardPublicKey = ByteString.CopyFrom(newKey) } };
        if (keepForNextStream)
        {
            Find(nodeId)?.SendControl(evt);
        }
        else
        {
            Find(nodeId)?.SendTransient(evt);
        }
    }

    public ulong? SerialPublishing(string nodeId, string peerId, byte[] key) => Find(nodeId)?.SerialPublishing(peerId, key);

    public bool IsOnline(string nodeId) => Find(nodeId)?.Online ?? false;

    public ulong LatestSerial(string nodeId) => Find(nodeId)?.Serial ?? 0;

    public void Acked(string nodeId, ulong serial) => Find(nodeId)?.Acked(serial);

    /// <summary>Every node with a published view: its name and whether it has an open Watch stream here, by name.</summary>
    public IReadOnlyList<(string Name, bool Watching)> WatchStates() =>
        [.. _feeds.Values
            .Select(f => (Name: f.Name, Watching: f.Online))
            .Where(f => f.Name is not null)
            .Select(f => (f.Name!, f.Watching))
            .OrderBy(f => f.Item1, StringComparer.Ordinal)];

    /// <summary>How long the oldest change not yet acked by a node watching here has waited, in seconds; 0 when none waits.</summary>
    public double OldestUnackedSeconds()
    {
        var now = _time.GetUtcNow();
        var oldest = now;
        foreach (var feed in _feeds.Values)
        {
            if (feed.UnackedSince is { } since && since < oldest)
            {
                oldest = since;
            }
        }

        return (now - oldest).TotalSeconds;
    }
}
