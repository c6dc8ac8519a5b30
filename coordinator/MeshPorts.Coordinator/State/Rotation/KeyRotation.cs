using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Rotation;

/// <summary>
/// Key rotation: an admin asks nodes to rotate, a node sends its new key, and the old key stays in its peers'
/// views until every peer has acked the netmap carrying the new one. Pending rotations are under the gate.
/// </summary>
internal sealed class KeyRotation
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly NetmapRecompute _recompute;
    private readonly Dictionary<string, PendingRotation> _rotations = new(StringComparer.Ordinal);

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
            await _ctx.Store.Nodes.UpdateKeyAsync(node.Id, newKey, previous, expires,
                _ctx.Audit.Event("key.rotated", "node:" + node.Name, node.Name, "ok",
                    new { publicKey = Convert.ToBase64String(newKey), previous = Convert.ToBase64String(previous), expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expires) }),
                cancellationToken);
            _model.Nodes[node.Id] = node with { WireGuardKey = newKey, PreviousWireGuardKey = previous, KeyExpiresAt = expires, KeyExpiryAudited = false };
            var changed = await _recompute.RecomputeLockedAsync(cancellationToken);
            var waiting = changed.Where(kv => kv.Key != node.Id).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            StateLog.Rotated(_ctx.Logger, node.Name, waiting.Count);
            var pending = new PendingRotation(newKey, waiting);
            _rotations[node.Id] = pending;
            var serial = changed.TryGetValue(node.Id, out var s) ? s : _ctx.Publisher.LatestSerial(node.Id);
            if (waiting.Count == 0)
            {
                await FinishRotationLockedAsync(node.Id, pending, cancellationToken);
            }

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
        var all = name is null;
        List<NodeRecord> targets;
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            targets = all ? [.. _model.Nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal)] : [_model.RequireByName(name!)];
        }
        finally
        {
            _model.Gate.Release();
        }

        foreach (var n in targets)
        {
            _ctx.Publisher.SendRotateNow(n.Id, "admin request");
            await _ctx.Audit.AppendAsync("key.rotate_requested", "admin", n.Name, "ok", new { online = _ctx.Publisher.IsOnline(n.Id) }, cancellationToken);
        }

        return targets.Select(n => n.Name).ToList();
    }

    /// <summary>Counts <paramref name="peerId"/>'s ack of <paramref name="serial"/> towards the rotations waiting on it; finishes those no longer waiting.</summary>
    public async Task CompleteRotationsLockedAsync(string peerId, ulong serial, CancellationToken cancellationToken)
    {
        foreach (var (nodeId, pending) in _rotations.ToList())
        {
            if (pending.Waiting.TryGetValue(peerId, out var needed) && serial >= needed)
            {
                pending.Waiting.Remove(peerId);
            }

            if (pending.Waiting.Count == 0)
            {
                await FinishRotationLockedAsync(nodeId, pending, cancellationToken);
            }
        }
    }

    private async Task FinishRotationLockedAsync(string nodeId, PendingRotation pending, CancellationToken cancellationToken)
    {
        _rotations.Remove(nodeId);
        if (!_model.Nodes.TryGetValue(nodeId, out var node))
        {
            return;
        }

        _ctx.Publisher.SendRotationReady(nodeId, pending.NewKey);

        // Peers no longer need the old key: drop it from their view.
        await _ctx.Store.Nodes.UpdateKeyAsync(nodeId, node.WireGuardKey, null, node.KeyExpiresAt, audit: null, cancellationToken);
        _model.Nodes[nodeId] = node with { PreviousWireGuardKey = null };
        await _recompute.RecomputeLockedAsync(cancellationToken);
    }

    /// <summary>Drops a removed node's pending rotation.</summary>
    public void ForgetLocked(string nodeId) => _rotations.Remove(nodeId);
}
