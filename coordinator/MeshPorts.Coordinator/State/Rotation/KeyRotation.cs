using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Rotation;

/// <summary>
/// Key rotation: an admin asks nodes to rotate, a node sends its new key, and the old key stays in its peers'
/// views until every peer has acked the netmap carrying the new one. The request and the peers still waited
/// for are in the store, so whichever coordinator a node or peer watches acts on them, and a dead one loses
/// nothing; what stays in memory is only which serial of this coordinator's own feeds carried a new key to
/// a peer (serials are per coordinator). Everything here is under the gate.
/// </summary>
internal sealed class KeyRotation
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly NetmapRecompute _recompute;
    // Rotating node -> the peers it still waits for, as the store last said.
    private readonly Dictionary<string, HashSet<string>> _waits = new(StringComparer.Ordinal);

    // (rotating node, peer) -> the serial of this coordinator's feed for the peer that first carried the new key.
    private readonly Dictionary<(string NodeId, string PeerId), ulong> _carried = [];

    public KeyRotation(MeshContext ctx, MeshModel model, NetmapRecompute recompute)
    {
        _ctx = ctx;
        _model = model;
        _recompute = recompute;
    }

    /// <summary>A node's new WireGuard key (its signature was checked by the caller). Returns the new expiry and the serial carrying it.</summary>
    public async Task<(long KeyExpiresAt, ulong Serial)> RotateKeyAsync(NodeRecord caller, byte[] newKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(newKey);
        if (newKey.Length != 32)
        {
            throw new StateException(StateError.InvalidArgument, "new_wireguard_public_key must be 32 bytes");
        }

        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!_model.Nodes.TryGetValue(caller.Id, out var node))
            {
                throw new StateException(StateError.Unauthenticated, "the node was removed");
            }

            if (node.WireGuardKey.AsSpan().SequenceEqual(newKey))
            {
                throw new StateException(StateError.InvalidArgument, "the new key equals the current one; generate a fresh key pair");
            }

            // Peers key their config by public key: taking another node's would make them drop that node.
            if (_model.OwnerOfWireGuardKey(newKey, exceptId: node.Id) is not null)
            {
                await _ctx.Audit.AppendAsync("key.refused", "node:" + node.Name, node.Name, "denied",
                    new { reason = "key belongs to another node", publicKey = Convert.ToBase64String(newKey) }, cancellationToken);
                throw new StateException(StateError.AlreadyExists, MeshModel.WireGuardKeyTaken);
            }

            var expires = _ctx.Now + (long)_ctx.Options.KeyLifetime.TotalMilliseconds;
            var previous = node.WireGuardKey;

            // Every node told of this one must learn the new key before it switches.
            var waiting = _recompute.SeeingLocked(node.Id).Where(_model.Nodes.ContainsKey).ToHashSet(StringComparer.Ordinal);
            await _ctx.Store.Nodes.RotateKeyAsync(node.Id, newKey, previous, expires, waiting,
                _ctx.Audit.Event("key.rotated", "node:" + node.Name, node.Name, "ok",
                    new { publicKey = Convert.ToBase64String(newKey), previous = Convert.ToBase64String(previous), expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expires) }),
                cancellationToken);
            _model.Nodes[node.Id] = node with { WireGuardKey = newKey, PreviousWireGuardKey = previous, KeyExpiresAt = expires, KeyExpiryAudited = false, RotateRequestedAt = null };
            _waits[node.Id] = waiting;
            foreach (var key in _carried.Keys.Where(k => k.NodeId == node.Id).ToList())
            {
                _carried.Remove(key);
            }

            var changed = _recompute.RecomputeLocked(NetmapChange.Key(node.Id));
            StateLog.Rotated(_ctx.Logger, node.Name, waiting.Count);
            var serial = changed.TryGetValue(node.Id, out var s) ? s : _ctx.Publisher.LatestSerial(node.Id);
            await NoteCarriedLockedAsync(cancellationToken);
            return (expires, serial);
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>Asks the node <paramref name="name"/>, or every node when it is null, to rotate now. Returns the names asked.</summary>
    public async Task<IReadOnlyList<string>> RequestRotationAsync(string? name, CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            List<NodeRecord> targets = name is null ? [.. _model.Nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal)] : [_model.RequireByName(name)];
            if (targets.Count == 0)
            {
                return [];
            }

            var now = _ctx.Now;
            var audit = _ctx.Audit.Events();
            foreach (var n in targets)
            {
                audit.And("key.rotate_requested", "admin", n.Name, "ok", new { online = _ctx.Publisher.IsOnline(n.Id) });
            }

            // Stored first: a node offline now, or watching another coordinator, is told when it watches.
            await _ctx.Store.Nodes.RequestRotationAsync(targets.Select(n => n.Id).ToList(), now, audit, cancellationToken);
            foreach (var n in targets)
            {
                _model.Nodes[n.Id] = n with { RotateRequestedAt = now };
                _ctx.Publisher.SendRotateNow(n.Id, "admin request");
            }

            return targets.Select(n => n.Name).ToList();
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>A node opened a stream here: an admin's request it has not acted on yet is sent now.</summary>
    public async Task SubscribedAsync(string nodeId, CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            if (_model.Nodes.TryGetValue(nodeId, out var node) && node.RotateRequestedAt is not null)
            {
                _ctx.Publisher.SendRotateNow(nodeId, "admin request");
            }
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>Counts <paramref name="peerId"/>'s ack of <paramref name="serial"/> (a serial of this coordinator) towards the rotations waiting on it.</summary>
    public async Task CompleteRotationsLockedAsync(string peerId, ulong serial, CancellationToken cancellationToken)
    {
        foreach (var (nodeId, waiting) in _waits.ToList())
        {
            if (waiting.Contains(peerId) && _carried.TryGetValue((nodeId, peerId), out var needed) && serial >= needed)
            {
                await FinishWaitsLockedAsync(nodeId, [peerId], cancellationToken);
            }
        }
    }

    /// <summary>A removed node is no longer waited for, and no longer rotates.</summary>
    public async Task ForgetLockedAsync(string nodeId, CancellationToken cancellationToken)
    {
        _waits.Remove(nodeId);
        foreach (var key in _carried.Keys.Where(k => k.NodeId == nodeId || k.PeerId == nodeId).ToList())
        {
            _carried.Remove(key);
        }

        // The store dropped the waits naming the node with it: rotations that waited only for it finish now.
        foreach (var (id, waiting) in _waits.ToList())
        {
            if (waiting.Remove(nodeId) && waiting.Count == 0)
            {
                await FinishWaitsLockedAsync(id, [], cancellationToken);
            }
        }
    }

    /// <summary>
    /// Takes the waits from the store (at start, and when another coordinator changed them), notes which of this
    /// coordinator's feeds already carry each new key, and tells the nodes whose rotation another one finished.
    /// </summary>
    public async Task ReloadLockedAsync(IReadOnlyDictionary<string, NodeRecord> before, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(before);
        _waits.Clear();
        foreach (var (nodeId, peerId) in await _ctx.Store.Nodes.ListRotationWaitsAsync(cancellationToken))
        {
            if (!_waits.TryGetValue(nodeId, out var set))
            {
                _waits[nodeId] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.Add(peerId);
        }

        foreach (var key in _carried.Keys.Where(k => !_waits.TryGetValue(k.NodeId, out var w) || !w.Contains(k.PeerId)).ToList())
        {
            _carried.Remove(key);
        }

        foreach (var node in _model.Nodes.Values)
        {
            if (node.PreviousWireGuardKey is null && before.TryGetValue(node.Id, out var old) && old.PreviousWireGuardKey is not null)
            {
                _ctx.Publisher.SendRotationReady(node.Id, node.WireGuardKey, keepForNextStream: false);
            }

            if (node.RotateRequestedAt is not null && (!before.TryGetValue(node.Id, out var was) || was.RotateRequestedAt != node.RotateRequestedAt))
            {
                _ctx.Publisher.SendRotateNow(node.Id, "admin request");
            }
        }

        await NoteCarriedLockedAsync(cancellationToken);
    }

    // After a recompute: for each rotation, the feeds that now carry the new key to a waiting peer. A peer with no
    // feed here (it watches another coordinator) is counted there; a rotation nobody waits for finishes at once.
    private async Task NoteCarriedLockedAsync(CancellationToken cancellationToken)
    {
        foreach (var (nodeId, waiting) in _waits.ToList())
        {
            if (!_model.Nodes.TryGetValue(nodeId, out var node))
            {
                continue;
            }

            if (waiting.Count == 0)
            {
                await FinishWaitsLockedAsync(nodeId, [], cancellationToken);
                continue;
            }

            foreach (var peerId in waiting)
            {
                if (!_carried.ContainsKey((nodeId, peerId)) && _ctx.Publisher.SerialPublishing(peerId, nodeId, node.WireGuardKey) is { } serial)
                {
                    _carried[(nodeId, peerId)] = serial;
                }
            }
        }
    }

    private async Task FinishWaitsLockedAsync(string nodeId, IReadOnlyCollection<string> peerIds, CancellationToken cancellationToken)
    {
        if (!_model.Nodes.TryGetValue(nodeId, out var node))
        {
            return;
        }

        foreach (var peerId in peerIds)
        {
            _carried.Remove((nodeId, peerId));
        }

        var finished = await _ctx.Store.Nodes.FinishRotationWaitsAsync(nodeId, peerIds,
            _ctx.Audit.Event("key.rotation_finished", "scheduler", node.Name, "ok", new { publicKey = Convert.ToBase64String(node.WireGuardKey) }), cancellationToken);
        if (_waits.TryGetValue(nodeId, out var waiting))
        {
            waiting.ExceptWith(peerIds);
        }

        if (!finished)
        {
            if (waiting is { Count: 0 })
            {
                // Finished already (by another coordinator), or waiting on peers only the store still lists.
                _waits.Remove(nodeId);
            }

            return;
        }

        _waits.Remove(nodeId);
        _ctx.Publisher.SendRotationReady(nodeId, node.WireGuardKey, keepForNextStream: true);

        // Peers no longer need the old key: drop it from their view.
        _model.Nodes[nodeId] = node with { PreviousWireGuardKey = null };
        _recompute.RecomputeLocked(NetmapChange.Key(nodeId));
    }
}
