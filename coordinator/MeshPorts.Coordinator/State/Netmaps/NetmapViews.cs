using MeshPorts.Coordinator.State.Access;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// Every node's last computed view, and the recompute that redoes only the views a change can alter. A view
/// depends on the node itself, on the records and reported endpoints of its peers, on the permissions between
/// it and other live nodes, and on the time (which keys and grants are live). So a change touches:
/// <list type="bullet">
/// <item>a node added, changed or removed: that node, the nodes that saw it, and the nodes that see it now;</item>
/// <item>a grant added or changed, or one that started or ended since the last recompute: the live nodes on
/// both its sides, when it pairs any two;</item>
/// <item>a key that became live or expired since the last recompute: as a changed node;</item>
/// <item>the policy: everyone (<see cref="Full"/>, also at start); another replica's change: what its differences
/// touch (Replication.StoreDiff).</item>
/// </list>
/// Every view not recomputed is what a full build would give (the equivalence tests check it step by step).
/// Not thread-safe: used under the gate.
/// </summary>
internal sealed class NetmapViews
{
    private readonly NetmapIndex _index = new();
    private readonly Dictionary<string, NodeView> _views = new(StringComparer.Ordinal);
    private long _at;
    private bool _ready;

    /// <summary>How many node views have been computed since start (a full recompute computes every node's).</summary>
    public long Built { get; private set; }

    /// <summary>Re-indexes the model and computes every node's view at <paramref name="now"/>.</summary>
    public List<NodeView> Full(MeshModel model, long now)
    {
        ArgumentNullException.ThrowIfNull(model);
        _index.Reset(model.Nodes.Values, model.Policy.Rules, model.Grants, now);
        _views.Clear();
        var views = new List<NodeView>(model.Nodes.Count);
        foreach (var node in model.Nodes.Values)
        {
            views.Add(BuildOne(node, model, now));
        }

        _at = now;
        _ready = true;
        return views;
    }

    /// <summary>Recomputes the views <paramref name="change"/> and the time since the last recompute can alter; returns them.</summary>
    public List<NodeView> Apply(NetmapChange change, MeshModel model, long now)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(model);
        // A clock that stepped back can bring back what the timeline has passed: start over.
        if (!_ready || now < _at)
        {
            return Full(model, now);
        }

        var nodes = new HashSet<string>(change.Nodes, StringComparer.Ordinal);
        foreach (var id in nodes)
        {
            _index.SetNode(id, model.Nodes.GetValueOrDefault(id));
        }

        var affected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var grant in change.Grants)
        {
            _index.SetGrant(grant, now);
            AddPaired(affected, grant, model, now);
        }

        AddClockChanges(nodes, affected, model, now);

        // A changed node's old peers lose or re-learn it; its new peers are known once its view is built.
        var built = new List<NodeView>();
        foreach (var id in nodes)
        {
            if (_views.Remove(id, out var old))
            {
                affected.UnionWith(old.Peers.Keys);
            }

            if (model.Nodes.TryGetValue(id, out var node))
            {
                var view = BuildOne(node, model, now);
                built.Add(view);
                affected.UnionWith(view.Peers.Keys);
            }
        }

        foreach (var id in affected)
        {
            if (!nodes.Contains(id) && model.Nodes.TryGetValue(id, out var node))
            {
                built.Add(BuildOne(node, model, now));
            }
        }

        _at = now;
        return built;
    }

    /// <summary>The node's view at <paramref name="now"/>, computed afresh (for reads; nothing is kept or published).</summary>
    public NodeView View(NodeRecord node, MeshModel model, long now)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(model);
        return NodeViewBuilder.Build(node, _index, model.Nodes, model.Addressing, model.Reported, now);
    }

    /// <summary>The nodes whose last computed view holds the node: the peers of its own (a view pairs both ways).</summary>
    public IReadOnlyCollection<string> Seeing(string nodeId) =>
        _views.TryGetValue(nodeId, out var view) ? [.. view.Peers.Keys] : [];

    /// <summary>The next moment after <paramref name="now"/> at which a view can change by itself (a key or grant ends or starts).</summary>
    public long? NextDeadline(long now) => _index.Timeline.Next(now);

    // Grants that started or ended, and keys that became live or expired, between the last recompute and now:
    // only the moments in between are looked at.
    private void AddClockChanges(HashSet<string> nodes, HashSet<string> affected, MeshModel model, long now)
    {
        foreach (var moment in _index.Timeline.Between(_at, now))
        {
            if (!moment.IsGrant)
            {
                nodes.Add(moment.Id);
                continue;
            }

            // Gone from the index already: an earlier moment of the same grant in this window handled it.
            if (_index.Grant(moment.Id) is not { } grant)
            {
                continue;
            }

            var activeFlipped = AccessEvaluator.IsGrantActive(grant, _at) != AccessEvaluator.IsGrantActive(grant, now);
            _index.SetGrant(grant, now);
            if (activeFlipped)
            {
                AddPaired(affected, grant, model, now);
            }
        }
    }

    // The live nodes on the grant's two sides, when it pairs at least two distinct nodes (else it gives nobody anything).
    private void AddPaired(HashSet<string> affected, GrantRecord grant, MeshModel model, long now)
    {
        var sources = Live(_index.GrantCovered(grant.Subject, grant.SubjectNodeId), model, now);
        var targets = Live(_index.GrantCovered(grant.Target, grant.TargetNodeId), model, now);
        if (sources.Count == 0 || targets.Count == 0 || (sources.Count == 1 && targets.Count == 1 && sources[0] == targets[0]))
        {
            return;
        }

        affected.UnionWith(sources);
        affected.UnionWith(targets);
    }

    private static List<string> Live(IReadOnlyCollection<string> ids, MeshModel model, long now) =>
        [.. ids.Where(id => model.Nodes.TryGetValue(id, out var n) && n.KeyExpiresAt > now)];

    private NodeView BuildOne(NodeRecord node, MeshModel model, long now)
    {
        var view = NodeViewBuilder.Build(node, _index, model.Nodes, model.Addressing, model.Reported, now);
        _views[node.Id] = view;
        Built++;
        return view;
    }
}
