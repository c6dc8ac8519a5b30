using MeshPorts.WireGuard.Keys;
using MeshPorts.WireGuard.Net;
using Microsoft.Extensions.Logging;

namespace MeshPorts.Node.Paths;

/// <summary>
/// Owns each mesh peer's path (docs/nat.md, "Paths" and "Probes"): the relay at once, direct as soon as
/// an authenticated pong answers from a candidate, back to the relay when the direct path has been
/// silent for 5 s, and up again on the next pong. Split by concern: the peer list and keys here, probe
/// reception in PathManager.Receive.cs, schedules and the choice in PathManager.Timers.cs.
/// </summary>
/// <remarks>
/// Candidates come from the coordinator and from other nodes, so none is trusted: a peer moves to a
/// direct endpoint only after a pong sealed under that peer's key came from that very address in
/// answer to a ping of ours (a node cannot aim this one at a third party). The one exception is a
/// peer without a reachable relay, which starts on its first netmap candidate as before paths existed.
/// Thread-safe: <see cref="HandleProbe"/> runs on the device's receive thread, the timer on its own.
/// Calls out (sends, the device's path control, CallMe) are made outside the state lock.
/// </remarks>
internal sealed partial class PathManager : IProbeSink, ICallMeHandler, IDisposable
{
    private readonly IPeerPathControl _control;
    private readonly IUnderlaySender _underlay;
    private readonly ICallMeSender _callMe;
    private readonly IRelayLink _relay;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PathManagerOptions _options;
    private readonly long _startTimestamp;
    private readonly Lock _lock = new();

    // Serialises applying choices to the device, so a stale decision never lands after a newer one.
    // Never taken on the receive thread: HandleProbe only records what it learned.
    private readonly Lock _applyLock = new();
    private readonly Dictionary<string, PeerPathState> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<WgKey, PeerPathState> _byKey = [];
    private readonly Dictionary<ProbeTxId, PendingPing> _pending = [];
    private readonly Dictionary<PeerEndpoint, TimeSpan> _observedSelf = [];
    private readonly Queue<string> _callMeQueue = new();
    private readonly HashSet<string> _callMeQueued = new(StringComparer.Ordinal);
    private readonly List<ProbeKey> _keyScratch = [];
    private WgKey _ownPrivate;
    private WgKey _ownPublic;
    private WgKey? _previousOwnPrivate;
    private TimeSpan _previousOwnUntil;
    private double _callMeTokens;
    private TimeSpan _callMeRefilledAt;
    private ITimer? _timer;
    private bool _disposed;

    public PathManager(
        WgKey ownPrivateKey,
        IPeerPathControl control,
        IUnderlaySender underlay,
        ICallMeSender callMe,
        IRelayLink relay,
        TimeProvider time,
        ILogger logger,
        PathManagerOptions? options = null)
    {
        _control = control;
        _underlay = underlay;
        _callMe = callMe;
        _relay = relay;
        _time = time;
        _logger = logger;
        _options = options ?? new PathManagerOptions();
        _startTimestamp = time.GetTimestamp();
        _ownPrivate = ownPrivateKey;
        _ownPublic = ownPrivateKey.PublicFromPrivate();
        _callMeTokens = _options.CallMesPerSecond;
    }

    public ProbeCounters Counters { get; } = new();

    /// <summary>Peers left out of the last <see cref="Update"/>: no node id, an unusable key, or a key another peer or this node has.</summary>
    public int RejectedPeers { get; private set; }

    /// <summary>Starts the schedule timer.</summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _timer ??= _time.CreateTimer(_ => SafeTick(), null, _options.TickInterval, _options.TickInterval);
        }
    }

    /// <summary>The mesh peers of the applied netmap; peers not in the list are forgotten.</summary>
    public void Update(IReadOnlyList<PathPeer> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var sends = new List<OutgoingProbe>();
        lock (_lock)
        {
            var now = Now();
            var wanted = Validate(peers);
            foreach (var id in _peers.Keys.Where(id => !wanted.ContainsKey(id)).ToList())
            {
                _peers[id].Dispose();
                _peers.Remove(id);
            }

            foreach (var peer in wanted.Values)
            {
                if (_peers.TryGetValue(peer.NodeId, out var state))
                {
                    Refresh(state, peer, now);
                }
                else
                {
                    state = new PeerPathState(peer, _options.ReplayCapacity, _options.ClockWindow);
                    _peers[peer.NodeId] = state;
                    state.ReplaceKeys(DeriveKeys(peer));
                    SetNetmapCandidates(state, now);
                    StartBurst(state, now);
                    QueueCallMe(peer.NodeId);
                }

                Evaluate(state, now);
                CollectDuePings(state, now, sends);
            }

            RebuildKeyIndex();
        }

        Flush(sends);
    }

    /// <summary>
    /// This node's key rotated: probes go under the new key from now on, and probes to the previous one are
    /// still taken for <see cref="PathManagerOptions.PreviousOwnKeyWindow"/> (peers switch when they hear us).
    /// </summary>
    public void RotatePrivateKey(WgKey newPrivateKey)
    {
        lock (_lock)
        {
            if (newPrivateKey == _ownPrivate)
            {
                return;
            }

            _previousOwnPrivate = _ownPrivate;
            _previousOwnUntil = Now() + _options.PreviousOwnKeyWindow;
            _ownPrivate = newPrivateKey;
            _ownPublic = newPrivateKey.PublicFromPrivate();
            foreach (var state in _peers.Values)
            {
                state.ReplaceKeys(DeriveKeys(state.Peer));
            }

            RebuildKeyIndex();
        }
    }

    /// <summary>Every peer's path now, ordered by node id.</summary>
    public IReadOnlyList<PeerPathStatus> Status()
    {
        List<(string Id, PathChoice Applied, TimeSpan? Rtt)> rows;
        lock (_lock)
        {
            rows = [.. _peers.Values
                .OrderBy(p => p.NodeId, StringComparer.Ordinal)
                .Select(p => (p.NodeId, p.Applied, p.Applied.Kind == PathKind.Direct ? p.Find(p.Applied.Endpoint)?.RoundTrip : null))];
        }

        return [.. rows.Select(r => ToStatus(r.Id, r.Applied, r.Rtt))];
    }

    /// <summary>This node's own addresses as peers' pongs saw them (peer-reflexive candidates for the endpoint report).</summary>
    public IReadOnlyList<PeerEndpoint> ObservedAddresses()
    {
        lock (_lock)
        {
            var now = Now();
            return [.. _observedSelf.Where(kv => now - kv.Value < _options.IdleInterval * 6).Select(kv => kv.Key)];
        }
    }

    public void Dispose()
    {
        ITimer? timer;
        lock (_lock)
        {
            _disposed = true;
            timer = _timer;
            _timer = null;
            foreach (var state in _peers.Values)
            {
                state.Dispose();
            }

            _peers.Clear();
            _byKey.Clear();
        }

        timer?.Dispose();
    }

    private PeerPathStatus ToStatus(string nodeId, PathChoice applied, TimeSpan? rtt)
    {
        switch (applied.Kind)
        {
            case PathKind.Direct:
                return new PeerPathStatus(nodeId, "direct", applied.Endpoint.ToString(), null, null, rtt);
            case PathKind.Relay:
                var route = _relay.RouteFor(nodeId);
                var transport = _relay.TransportFor(nodeId) switch
                {
                    RelayTransport.Udp => "udp",
                    RelayTransport.Tls => "tls",
                    _ => null,
                };
                return new PeerPathStatus(nodeId, "relay", route?.Endpoint, route?.RelayId, transport, null);
            default:
                return new PeerPathStatus(nodeId, "none", null, null, null, null);
        }
    }

    private Dictionary<string, PathPeer> Validate(IReadOnlyList<PathPeer> peers)
    {
        var rejected = 0;
        var byId = new Dictionary<string, PathPeer>(StringComparer.Ordinal);
        var keyCount = new Dictionary<WgKey, int>();
        foreach (var peer in peers)
        {
            if (peer is null || string.IsNullOrEmpty(peer.NodeId) || peer.PublicKey.IsZero || byId.ContainsKey(peer.NodeId))
            {
                rejected++;
                continue;
            }

            byId[peer.NodeId] = peer;
            foreach (var key in KeysOf(peer))
            {
                keyCount[key] = keyCount.GetValueOrDefault(key) + 1;
            }
        }

        // Deny by default: a key this node has, or two peers share, names no one.
        foreach (var (id, peer) in byId.ToList())
        {
            if (KeysOf(peer).Any(k => k == _ownPublic || keyCount[k] > 1))
            {
                byId.Remove(id);
                rejected++;
            }
        }

        RejectedPeers = rejected;
        return byId;
    }

    private static IEnumerable<WgKey> KeysOf(PathPeer peer)
    {
        yield return peer.PublicKey;
        if (peer.PreviousKey is { } previous && previous != peer.PublicKey && !previous.IsZero)
        {
            yield return previous;
        }
    }

    private List<ProbeKey> DeriveKeys(PathPeer peer)
    {
        var keys = new List<ProbeKey>(4);
        AddKeys(keys, _ownPrivate, _ownPublic, peer);
        if (_previousOwnPrivate is { } previous)
        {
            AddKeys(keys, previous, previous.PublicFromPrivate(), peer);
        }

        return keys;
    }

    private static void AddKeys(List<ProbeKey> keys, in WgKey ownPrivate, in WgKey ownPublic, PathPeer peer)
    {
        foreach (var peerKey in KeysOf(peer))
        {
            if (ProbeKey.TryCreate(ownPrivate, ownPublic, peerKey) is { } key)
            {
                keys.Add(key);
            }
        }
    }

    private void RebuildKeyIndex()
    {
        _byKey.Clear();
        foreach (var state in _peers.Values)
        {
            foreach (var key in KeysOf(state.Peer))
            {
                _byKey[key] = state;
            }
        }
    }

    private void Refresh(PeerPathState state, PathPeer peer, TimeSpan now)
    {
        var old = state.Peer;
        state.Peer = peer;
        if (old.PublicKey != peer.PublicKey || old.PreviousKey != peer.PreviousKey)
        {
            state.ReplaceKeys(DeriveKeys(peer));
        }

        if (!old.Candidates.SequenceEqual(peer.Candidates))
        {
            SetNetmapCandidates(state, now);
            StartBurst(state, now);
            QueueCallMe(peer.NodeId);
        }
    }

    /// <summary>The netmap's candidates replace the previous netmap ones; what probing learned about an address is kept.</summary>
    private void SetNetmapCandidates(PeerPathState state, TimeSpan now)
    {
        var keep = new List<CandidateState>(state.Candidates.Count + state.Peer.Candidates.Count);
        foreach (var endpoint in state.Peer.Candidates.Distinct())
        {
            if (!ProbeTargets.IsAllowed(endpoint))
            {
                Counters.RefuseTarget();
                continue;
            }

            var existing = state.Find(endpoint);
            if (existing is not null)
            {
                existing.Source = CandidateSource.Netmap;
                keep.Add(existing);
            }
            else
            {
                keep.Add(new CandidateState(endpoint, CandidateSource.Netmap, now));
            }
        }

        keep.AddRange(state.Candidates.Where(c => c.Source != CandidateSource.Netmap && !keep.Contains(c)));
        state.Candidates.Clear();
        state.Candidates.AddRange(keep);
    }

    /// <summary>Adds a learned or call-me candidate (bounded per source: the oldest goes).</summary>
    private void AddExtraCandidate(PeerPathState state, in PeerEndpoint endpoint, CandidateSource source, TimeSpan now)
    {
        if (state.Find(endpoint) is not null)
        {
            return;
        }

        if (!ProbeTargets.IsAllowed(endpoint))
        {
            Counters.RefuseTarget();
            return;
        }

        var limit = source == CandidateSource.Learned ? _options.MaxLearnedCandidates : _options.MaxCallMeCandidates;
        var same = state.Candidates.Where(c => c.Source == source).ToList();
        if (same.Count >= limit)
        {
            var chosen = state.Desired.Kind == PathKind.Direct ? state.Desired.Endpoint : default;
            var evict = same.Where(c => c.Endpoint != chosen).OrderBy(c => c.LastPong ?? c.AddedAt).FirstOrDefault();
            if (evict is null)
            {
                return;
            }

            state.Candidates.Remove(evict);
        }

        state.Candidates.Add(new CandidateState(endpoint, source, now));
    }

    private void QueueCallMe(string nodeId)
    {
        if (_callMeQueued.Add(nodeId))
        {
            _callMeQueue.Enqueue(nodeId);
        }
    }

    /// <summary>Monotonic time since the manager started (schedules never follow wall-clock steps).</summary>
    private TimeSpan Now() => _time.GetElapsedTime(_startTimestamp);

    private long WallMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
