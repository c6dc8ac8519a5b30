using System.Collections.Concurrent;
using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Endpoints;
using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.State.Rotation;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Enrollment;

/// <summary>The enrolled nodes: listing, showing and removing them, the serials they ack, and when they were last seen.</summary>
internal sealed class NodeRegistry
{
    private readonly MeshContext _ctx;
    private readonly MeshModel _model;
    private readonly NetmapRecompute _recompute;
    private readonly KeyRotation _rotation;

    // Without the gate: written on every authenticated call and stream message.
    private readonly ConcurrentDictionary<string, long> _lastSeen = new(StringComparer.Ordinal);

    public NodeRegistry(MeshContext ctx, MeshModel model, NetmapRecompute recompute, KeyRotation rotation)
    {
        _ctx = ctx;
        _model = model;
        _recompute = recompute;
        _rotation = rotation;
    }

    public async Task<IReadOnlyList<NodeStatus>> ListNodesAsync(CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            return _model.Nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).Select(Status).ToList();
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    private NodeStatus Status(NodeRecord n) => new(n, OverlayAddressing.Ipv4(n.AddressIndex), _model.Addressing.Ipv6(n.AddressIndex),
        _ctx.Publisher.IsOnline(n.Id), _lastSeen.TryGetValue(n.Id, out var seen) ? seen : 0, _ctx.Publisher.LatestSerial(n.Id));

    /// <summary>The node and the names of the peers in its netmap right now.</summary>
    /// <returns>The node, the names of its netmap peers, and its last endpoint report with peers named (null if none since start).</returns>
    public async Task<(NodeStatus Node, IReadOnlyList<string> Peers, ReportedEndpoints? Reach)> GetNodeAsync(string name, CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            var node = _model.RequireByName(name);
            var view = _recompute.ViewLocked(node);
            var reach = _model.Reported.GetValueOrDefault(node.Id) is { } r
                ? r with
                {
                    Paths = [.. r.Paths
                        .Select(p => p with { PeerNodeId = _model.Nodes.GetValueOrDefault(p.PeerNodeId)?.Name ?? p.PeerNodeId })
                        .OrderBy(p => p.PeerNodeId, StringComparer.Ordinal)],
                }
                : null;
            return (Status(node), view.Peers.Values.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList(), reach);
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>
    /// Removes a node: its streams end now, its key leaves every netmap, and every grant naming it ends, in
    /// the same step. A later node given the same name is someone else and inherits none of them.
    /// </summary>
    public async Task<NodeStatus> RemoveNodeAsync(string name, CancellationToken cancellationToken)
    {
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            var node = _model.RequireByName(name);
            var status = Status(node);
            var now = _ctx.Now;
            var ending = _model.Grants.Where(g => g.RevokedAt is null && g.ExpiresAt > now && (g.SubjectNodeId == node.Id || g.TargetNodeId == node.Id))
                .Select(g => g.Id).ToHashSet(StringComparer.Ordinal);
            var audit = _ctx.Audit.Event("node.removed", "admin", node.Name, "ok", new { id = node.Id, grantsEnded = ending.Count });
            foreach (var g in _model.Grants.Where(g => ending.Contains(g.Id)))
            {
                audit.And("grant.ended", "admin", g.Id, "ok",
                    new { reason = "node removed", node = node.Name, nodeId = node.Id, from = g.Subject.ToString(), to = g.Target.ToString(), port = g.Port, protocol = g.Protocol.ToText() });
            }

            await _ctx.Store.Nodes.DeleteAsync(node.Id, ending, now, audit, cancellationToken);
            _model.Nodes.Remove(node.Id);
            _model.Reported.TryRemove(node.Id, out _);
            _model.Grants = _model.Grants.Select(g => ending.Contains(g.Id) ? g with { RevokedAt = now } : g).ToList();
            _ctx.Publisher.Disconnect(node.Id);
            _recompute.RecomputeLocked(new NetmapChange([node.Id], [.. _model.Grants.Where(g => ending.Contains(g.Id))], Records: true));
            await _rotation.ForgetLockedAsync(node.Id, cancellationToken);
            return status;
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>Records the serial a node applied; completes key rotations waiting on it.</summary>
    public async Task AckAsync(NodeRecord node, ulong serial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        await _model.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!_model.Nodes.TryGetValue(node.Id, out var current))
            {
                throw new StateException(StateError.Unauthenticated, "the node was removed");
            }

            var latest = _ctx.Publisher.LatestSerial(node.Id);
            if (serial > latest)
            {
                throw new StateException(StateError.InvalidArgument, FormattableString.Invariant($"acked serial {serial} was never sent (latest is {latest})"));
            }

            await _ctx.Store.Nodes.UpdateAppliedSerialAsync(node.Id, serial, _ctx.Audit.Event("delta.acked", "node:" + node.Name, node.Name, "ok", new { serial }), cancellationToken);
            _model.Nodes[node.Id] = current with { AppliedSerial = serial };
            _ctx.Publisher.Acked(node.Id, serial);
            await _rotation.CompleteRotationsLockedAsync(node.Id, serial, cancellationToken);
        }
        finally
        {
            _model.Gate.Release();
        }
    }

    /// <summary>Called on stream activity and authenticated calls so lastSeen reflects a live connection.</summary>
    public void Touch(string nodeId) => _lastSeen[nodeId] = _ctx.Now;
}
