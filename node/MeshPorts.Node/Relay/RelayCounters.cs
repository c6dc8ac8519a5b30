using System.Collections.Concurrent;

namespace MeshPorts.Node.Relay;

/// <summary>The relay client's drop counters and its per-peer traffic; cheap to bump from any thread.</summary>
internal sealed class RelayCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<RelayDrop>().Length];
    private readonly ConcurrentDictionary<string, PeerRelayCounters> _peers = new(StringComparer.Ordinal);

    public void Drop(RelayDrop reason) => Interlocked.Increment(ref _drops[(int)reason]);

    public long this[RelayDrop reason] => Interlocked.Read(ref _drops[(int)reason]);

    /// <summary>Counters of one peer; only current peers get one, so a relay cannot grow this table.</summary>
    public PeerRelayCounters For(string peerNodeId) => _peers.GetOrAdd(peerNodeId, static _ => new PeerRelayCounters());

    /// <summary>Counters of a peer if it has any traffic yet.</summary>
    public PeerRelayCounters? Find(string peerNodeId) => _peers.TryGetValue(peerNodeId, out var counters) ? counters : null;

    /// <summary>Forgets peers that left the netmap.</summary>
    public void Retain(IReadOnlySet<string> peerNodeIds)
    {
        foreach (var key in _peers.Keys)
        {
            if (!peerNodeIds.Contains(key))
            {
                _peers.TryRemove(key, out _);
            }
        }
    }
}
