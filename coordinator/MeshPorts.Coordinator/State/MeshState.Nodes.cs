using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>Node listing and removal, acks, and key rotation.</summary>
internal sealed partial class MeshState
{
    public async Task<IReadOnlyList<NodeStatus>> ListNodesAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).Select(Status).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    private NodeStatus Status(NodeRecord n) => new(n, OverlayAddressing.Ipv4(n.AddressIndex), _addressing.Ipv6(n.AddressIndex),
        _publisher.IsOnline(n.Id), _lastSeen.TryGetValue(n.Id, out var seen) ? seen : 0, _publisher.LatestSerial(n.Id));

    /// <summary>The node and the names of the peers in its netmap right now.</summary>
    public async Task<(NodeStatus Node, IReadOnlyList<string> Peers)> GetNodeAsync(string name, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var node = RequireByName(name);
            var view = NetmapBuilder.Build(_nodes.Values, _policy.Rules, _grants, _addressing, Now).First(v => v.Self.Id == node.Id);
            return (Status(node), view.Peers.Values.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList());
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Removes a node: its streams end now, its key leaves every netmap, and every grant naming it ends, in
    /// the same step. A later node given the same name is someone else and inherits none of them.
    /// </summary>
    public async Task<NodeStatus> RemoveNodeAsync(string name, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var node = RequireByName(name);
            var status = Status(node);
            var now = Now;
            var ending = _grants.Where(g => g.RevokedAt is null && g.ExpiresAt > now && (g.SubjectNodeId == node.Id || g.TargetNodeId == node.Id))
                .Select(g => g.Id).ToHashSet(StringComparer.Ordinal);
            await _store.Nodes.DeleteAsync(node.Id, ending, now, cancellationToken);
            _nodes.Remove(node.Id);
            _grants = _grants.Select(g => ending.Contains(g.Id) ? g with { RevokedAt = now } : g).ToList();
            _publisher.Disconnect(node.Id);
            _rotations.Remove(node.Id);
            await _audit.AppendAsync("node.removed", "admin", node.Name, "ok", new { id = node.Id, grantsEnded = ending.Count }, cancellationToken);
            foreach (var g in _grants.Where(g => ending.Contains(g.Id)))
            {
                await _audit.AppendAsync("grant.ended", "admin", g.Id, "ok",
                    new { reason = "node removed", node = node.Name, nodeId = node.Id, from = g.Subject.ToString(), to = g.Target.ToString(), port = g.Port, protocol = g.Protocol.ToText() },
                    cancellationToken);
            }

            await RecomputeLockedAsync(cancellationToken);
            await CompleteRotationsLockedAsync(node.Id, ulong.MaxValue, cancellationToken);
            return status;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Records the serial a node applied; completes key rotations waiting on it.</summary>
    public async Task AckAsync(NodeRecord node, ulong serial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_nodes.TryGetValue(node.Id, out var current))
            {
                throw new StateException(StateError.Unauthenticated, "the node was removed");
            }

            var latest = _publisher.LatestSerial(node.Id);
            if (serial > latest)
            {
                throw new StateException(StateError.InvalidArgument, FormattableString.Invariant($"acked serial {serial} was never sent (latest is {latest})"));
            }

            await _store.Nodes.UpdateAppliedSerialAsync(node.Id, serial, cancellationToken);
            _nodes[node.Id] = current with { AppliedSerial = serial };
            await _audit.AppendAsync("delta.acked", "node:" + node.Name, node.Name, "ok", new { serial }, cancellationToken);
            await CompleteRotationsLockedAsync(node.Id, serial, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task CompleteRotationsLockedAsync(string peerId, ulong serial, CancellationToken cancellationToken)
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
        if (!_nodes.TryGetValue(nodeId, out var node))
        {
            return;
        }

        _publisher.SendRotationReady(nodeId, pending.NewKey);

        // Peers no longer need the old key: drop it from their view.
        await _store.Nodes.UpdateKeyAsync(nodeId, node.WireGuardKey, null, node.KeyExpiresAt, cancellationToken);
        _nodes[nodeId] = node with { PreviousWireGuardKey = null };
        await RecomputeLockedAsync(cancellationToken);
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

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_nodes.TryGetValue(caller.Id, out var node))
            {
                throw new StateException(StateError.Unauthenticated, "the node was removed");
            }

            if (node.WireGuardKey.AsSpan().SequenceEqual(newKey))
            {
                throw new StateException(StateError.InvalidArgument, "the new key equals the current one; generate a fresh key pair");
            }

            // Peers key their config by public key: taking another node's would make them drop that node.
            if (OwnerOfWireGuardKey(newKey, exceptId: node.Id) is not null)
            {
                await _audit.AppendAsync("key.refused", "node:" + node.Name, node.Name, "denied",
                    new { reason = "key belongs to another node", publicKey = Convert.ToBase64String(newKey) }, cancellationToken);
                throw new StateException(StateError.AlreadyExists, WireGuardKeyTaken);
            }

            var expires = Now + (long)_options.KeyLifetime.TotalMilliseconds;
            var previous = node.WireGuardKey;
            await _store.Nodes.UpdateKeyAsync(node.Id, newKey, previous, expires, cancellationToken);
            _nodes[node.Id] = node with { WireGuardKey = newKey, PreviousWireGuardKey = previous, KeyExpiresAt = expires };
            await _audit.AppendAsync("key.rotated", "node:" + node.Name, node.Name, "ok",
                new { publicKey = Convert.ToBase64String(newKey), previous = Convert.ToBase64String(previous), expiresAt = expires }, cancellationToken);
            var changed = await RecomputeLockedAsync(cancellationToken);
            var waiting = changed.Where(kv => kv.Key != node.Id).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            StateLog.Rotated(_logger, node.Name, waiting.Count);
            var pending = new PendingRotation(newKey, waiting);
            _rotations[node.Id] = pending;
            var serial = changed.TryGetValue(node.Id, out var s) ? s : _publisher.LatestSerial(node.Id);
            if (waiting.Count == 0)
            {
                await FinishRotationLockedAsync(node.Id, pending, cancellationToken);
            }

            return (expires, serial);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Asks the node <paramref name="name"/>, or every node when it is null, to rotate now. Returns the names asked.</summary>
    public async Task<IReadOnlyList<string>> RequestRotationAsync(string? name, CancellationToken cancellationToken)
    {
        var all = name is null;
        List<NodeRecord> targets;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            targets = all ? [.. _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal)] : [RequireByName(name!)];
        }
        finally
        {
            _gate.Release();
        }

        foreach (var n in targets)
        {
            _publisher.SendRotateNow(n.Id, "admin request");
            await _audit.AppendAsync("key.rotate_requested", "admin", n.Name, "ok", new { online = _publisher.IsOnline(n.Id) }, cancellationToken);
        }

        return targets.Select(n => n.Name).ToList();
    }
}
