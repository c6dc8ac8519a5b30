using MeshPorts.Node.Routing;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Device;

/// <summary>
/// Mesh mode: the coordinator's view of peers and rules applied as a whole, and the node's own
/// monotonic clock removing peers whose time is up whether or not the coordinator is reachable.
/// </summary>
internal sealed partial class Device
{
    private readonly Dictionary<string, Peer> _meshPeers = new(StringComparer.Ordinal);
    private readonly Dictionary<WgKey, Peer> _meshPeersByIdentity = [];
    private long _nextPeerExpiryTicks = long.MaxValue;

    /// <summary>Sets the interface's key and UDP port before <see cref="Start"/>.</summary>
    public void Configure(WgKey privateKey, ushort listenPort)
    {
        lock (_configLock)
        {
            if (_started)
            {
                throw new InvalidOperationException("Configure the device before starting it.");
            }

            _engine.SetPrivateKey(privateKey);
            _listenPort = listenPort;
        }
    }

    /// <summary>
    /// Makes <paramref name="config"/> the device's whole mesh state in one step under the configuration
    /// lock: peers are added, re-keyed in place (sessions survive a peer's key rotation), given their
    /// addresses and endpoints; the filter's rules are replaced (flows whose rule went are cut and reset);
    /// peers no longer listed, or already past their end, are cut and removed.
    /// </summary>
    public MeshApplyResult ApplyMesh(DeviceMeshConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_configLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = Clock.NowTicks;
            var wanted = new Dictionary<string, MeshPeerConfig>(StringComparer.Ordinal);
            var deadlines = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var peer in config.Peers)
            {
                // Fail closed: a peer whose time is already up is never (re)installed; one that claims
                // this interface's own key cannot be a peer at all.
                var deadline = DeadlineOf(peer);
                if (deadline <= now)
                {
                    continue;
                }

                if (_engine.PublicKey == peer.PublicKey)
                {
                    DeviceLog.OwnKeyListedAsPeer(_logger, peer.Name);
                    continue;
                }

                wanted[peer.NodeId] = peer;
                deadlines[peer.NodeId] = deadline;
            }

            int added = 0, rekeyed = 0, removed = 0, cut = 0;
            foreach (var (nodeId, peer) in _meshPeers.ToList())
            {
                if (!wanted.ContainsKey(nodeId))
                {
                    cut += RemoveMeshPeerLocked(peer, "no longer allowed");
                    removed++;
                }
            }

            foreach (var want in wanted.Values)
            {
                var (peer, change) = UpsertMeshPeerLocked(want, deadlines[want.NodeId]);
                added += change == PeerChange.Added ? 1 : 0;
                rekeyed += change == PeerChange.Rekeyed ? 1 : 0;
                ApplyRoutesLocked(peer, want.AllowedIps);
                ApplyEndpointsLocked(peer, want);
                if (change == PeerChange.Added && _started)
                {
                    // Handshake now rather than on the first packet: the first connection after a grant
                    // does not wait a round trip, and after a restart the peer leaves its stale session
                    // at once instead of when its keepalive timers give up (~15 s).
                    _engine.InitiateHandshake(peer, this);
                }
            }

            if (_filter is { } filter)
            {
                var cuts = filter.ReplaceRules(config.Rules);
                foreach (var c in cuts)
                {
                    EmitCut(c, FindByIdentity(c.Peer), _configScratch);
                }

                cut += cuts.Count;
                DeviceLog.RulesReplaced(_logger, config.Rules.Count, cuts.Count);
            }

            RecomputeNextExpiryLocked();
            return new MeshApplyResult(added, rekeyed, removed, cut);
        }
    }

    /// <summary>Raised after <see cref="RotatePrivateKey"/> switched keys (the path manager re-keys its probes).</summary>
    public event Action<WgKey>? OwnKeyRotated;

    /// <summary>
    /// Switches this interface to a new private key without dropping traffic: established sessions keep
    /// running and new handshakes are started at once (see <see cref="WireGuardEngine.RotatePrivateKey"/>).
    /// </summary>
    public void RotatePrivateKey(WgKey privateKey)
    {
        lock (_configLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _engine.RotatePrivateKey(privateKey);
            DeviceLog.OwnKeyRotated(_logger, privateKey.PublicFromPrivate().ToBase64());
        }

        OwnKeyRotated?.Invoke(privateKey);
    }

    /// <summary>The live mesh peers with their handshake, byte counts and path.</summary>
    public IReadOnlyList<MeshPeerStatus> MeshPeers()
    {
        List<(Peer Peer, MeshPeerState State, IReadOnlyList<IpPrefix> AllowedIps)> peers;
        lock (_configLock)
        {
            peers = new(_meshPeers.Count);
            foreach (var peer in _meshPeers.Values)
            {
                peers.Add((peer, (MeshPeerState)peer.DeviceState!, [.. _routes.EnumerateFor(peer)]));
            }
        }

        // The relay client is asked outside the configuration lock: it has locks of its own.
        var list = new List<MeshPeerStatus>(peers.Count);
        foreach (var (peer, state, allowedIps) in peers)
        {
            var endpoint = peer.Endpoint;
            list.Add(new MeshPeerStatus(
                state.NodeId,
                state.Name,
                peer.PublicKey,
                allowedIps,
                endpoint,
                peer.LastHandshake,
                state.ValidUntil,
                peer.RxBytes,
                peer.TxBytes,
                PathStatusOf(state.NodeId, endpoint),
                state.Relay.RxBytes,
                state.Relay.TxBytes,
                peer.HandshakesCompleted));
        }

        return list;
    }

    // Timer thread: a peer whose deadline passed goes now, on this node's monotonic clock (fail closed).
    private void ExpireMeshPeers()
    {
        if (Clock.NowTicks < Volatile.Read(ref _nextPeerExpiryTicks))
        {
            return;
        }

        lock (_configLock)
        {
            if (_disposed)
            {
                return;
            }

            var now = Clock.NowTicks;
            foreach (var peer in _meshPeers.Values.ToList())
            {
                if (((MeshPeerState)peer.DeviceState!).DeadlineTicks <= now)
                {
                    RemoveMeshPeerLocked(peer, "its time is up");
                }
            }

            RecomputeNextExpiryLocked();
        }
    }

    private enum PeerChange
    {
        None,
        Added,
        Rekeyed,
    }

    // Called with _configLock held.
    private (Peer Peer, PeerChange Change) UpsertMeshPeerLocked(MeshPeerConfig want, long deadline)
    {
        if (_meshPeers.TryGetValue(want.NodeId, out var peer))
        {
            var state = (MeshPeerState)peer.DeviceState!;
            state.Name = want.Name;
            state.ValidUntil = want.ValidUntil;
            state.DeadlineTicks = deadline;
            if (peer.PublicKey == want.PublicKey)
            {
                return (peer, PeerChange.None);
            }

            if (_engine.ReplacePeerKey(peer.PublicKey, want.PublicKey))
            {
                DeviceLog.MeshPeerRekeyed(_logger, want.Name, want.PublicKey.ToBase64());
                return (peer, PeerChange.Rekeyed);
            }

            // The engine could not move the sessions over (the new key is already taken): start afresh.
            RemoveMeshPeerLocked(peer, "its key changed");
        }

        // A key configured under another name (a node re-enrolled with the same key) belongs to this one now.
        if (_engine.TryGetPeer(want.PublicKey, out var stale))
        {
            if (stale.DeviceState is MeshPeerState)
            {
                RemoveMeshPeerLocked(stale, $"its key moved to {want.Name}");
            }
            else
            {
                _routes.RemoveAll(stale);
                _engine.RemovePeer(want.PublicKey);
            }
        }

        var fresh = _engine.AddPeer(want.PublicKey);

        // Path managed: the endpoint moves only through UseDirect/UseRelay, never by roaming.
        fresh.Roaming = !_options.PathManaged;
        var meshState = new MeshPeerState(want.NodeId, AttachRelaySlotLocked(want.NodeId)) { Name = want.Name, ValidUntil = want.ValidUntil, DeadlineTicks = deadline };
        fresh.DeviceState = meshState;
        _meshPeers[want.NodeId] = fresh;
        _meshPeersByIdentity[meshState.Identity] = fresh;
        DeviceLog.MeshPeerAdded(_logger, want.Name, want.PublicKey.ToBase64());
        return (fresh, PeerChange.Added);
    }

    // Called with _configLock held. Leaves the trie alone when nothing changed (the common case).
    private void ApplyRoutesLocked(Peer peer, IReadOnlyList<IpPrefix> allowedIps)
    {
        var current = _routes.EnumerateFor(peer).ToHashSet();
        if (current.SetEquals(allowedIps))
        {
            return;
        }

        _routes.RemoveAll(peer);
        foreach (var prefix in allowedIps)
        {
            _routes.Insert(prefix, peer);
        }
    }

    // Called with _configLock held. Path managed, candidates are only kept: the path manager owns the endpoint.
    private void ApplyEndpointsLocked(Peer peer, MeshPeerConfig want)
    {
        var state = (MeshPeerState)peer.DeviceState!;
        if (state.Endpoints.SequenceEqual(want.Endpoints))
        {
            return;
        }

        state.Endpoints = want.Endpoints;
        if (!_options.PathManaged && want.Endpoints.Count > 0 && !want.Endpoints.Contains(peer.Endpoint))
        {
            peer.Endpoint = want.Endpoints[0];
        }
    }

    // Called with _configLock held: cut the peer's flows (resets go out while it can still encrypt), then remove it.
    private int RemoveMeshPeerLocked(Peer peer, string why)
    {
        var state = (MeshPeerState)peer.DeviceState!;
        var cuts = _filter?.CutPeer(state.Identity) ?? [];
        foreach (var cut in cuts)
        {
            EmitCut(cut, peer, _configScratch);
        }

        _routes.RemoveAll(peer);
        _engine.RemovePeer(peer.PublicKey);
        _meshPeers.Remove(state.NodeId);
        _meshPeersByIdentity.Remove(state.Identity);
        DetachRelaySlotLocked(state.Relay);
        DeviceLog.MeshPeerRemoved(_logger, state.Name, why, cuts.Count);
        return cuts.Count;
    }

    // Called with _configLock held. The same end again keeps the deadline taken when it first arrived:
    // re-reading it against a wall clock stepped back since would extend the peer.
    private long DeadlineOf(MeshPeerConfig peer) =>
        _meshPeers.TryGetValue(peer.NodeId, out var known) && known.DeviceState is MeshPeerState state && state.ValidUntil == peer.ValidUntil
            ? state.DeadlineTicks
            : Clock.DeadlineTicks(peer.ValidUntil);

    // Called with _configLock held.
    private void RecomputeNextExpiryLocked()
    {
        var next = long.MaxValue;
        foreach (var peer in _meshPeers.Values)
        {
            next = Math.Min(next, ((MeshPeerState)peer.DeviceState!).DeadlineTicks);
        }

        Volatile.Write(ref _nextPeerExpiryTicks, next);
    }
}
