using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Paths;

/// <summary>Everything the path manager holds about one peer. Under the path manager's lock.</summary>
internal sealed class PeerPathState : IDisposable
{
    private readonly List<ProbeKey> _keys = [];

    public PeerPathState(PathPeer peer, int replayCapacity, TimeSpan clockWindow)
    {
        Peer = peer;
        Replay = new ProbeReplayCache(replayCapacity, clockWindow);
    }

    public PathPeer Peer { get; set; }

    public string NodeId => Peer.NodeId;

    public List<CandidateState> Candidates { get; } = [];

    public ProbeReplayCache Replay { get; }

    /// <summary>Pings to every candidate every burst interval until then.</summary>
    public TimeSpan BurstUntil { get; set; }

    /// <summary>What the path manager wants now.</summary>
    public PathChoice Desired { get; set; }

    /// <summary>What the device was last told successfully.</summary>
    public PathChoice Applied { get; set; }

    /// <summary>The key the last authentic probe from the peer opened under, and when: pings go under it while it is fresh.</summary>
    public ProbeKey? LastHeardKey { get; set; }

    public TimeSpan LastHeardAt { get; set; }

    public TimeSpan? LastCallMeAt { get; set; }

    /// <summary>Alternates the peer keys pings go under while the peer has not been heard (a rotation in progress).</summary>
    public int SendKeyTurn { get; set; }

    /// <summary>Every probe key for the peer: own current key first, then own previous; peer current before previous.</summary>
    public IReadOnlyList<ProbeKey> Keys => _keys;

    public void ReplaceKeys(IEnumerable<ProbeKey> keys)
    {
        DisposeKeys();
        _keys.AddRange(keys);
        LastHeardKey = null;
    }

    /// <summary>The keys a probe whose header names <paramref name="senderKey"/> may be under.</summary>
    public void KeysFor(in WgKey senderKey, List<ProbeKey> into)
    {
        into.Clear();
        foreach (var key in _keys)
        {
            if (key.PeerPublic == senderKey)
            {
                into.Add(key);
            }
        }
    }

    public CandidateState? Find(in PeerEndpoint endpoint)
    {
        foreach (var candidate in Candidates)
        {
            if (candidate.Endpoint == endpoint)
            {
                return candidate;
            }
        }

        return null;
    }

    public void Dispose() => DisposeKeys();

    private void DisposeKeys()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }

        _keys.Clear();
        LastHeardKey = null;
    }
}
