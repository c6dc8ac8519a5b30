using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Access;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// Lookups that let one node's view be computed without scanning the mesh: which nodes a subject covers
/// (by name, user, tag), which rules and which unfinished grants name a node on either side. Kept in step by
/// <see cref="NetmapViews"/>: every node, grant and policy change passes through it. Liveness and grant
/// activity are not indexed (they depend on the time): the caller checks them at the moment it builds.
/// </summary>
internal sealed class NetmapIndex
{
    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _byUser = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _byTag = new(StringComparer.Ordinal);

    // Grants that were not finished (expired or revoked) when last looked at, by id and by the key of each side.
    private readonly Dictionary<string, GrantRecord> _grants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _grantsBySubject = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _grantsByTarget = new(StringComparer.Ordinal);

    private readonly Dictionary<Subject, List<PolicyRule>> _rulesFrom = [];
    private readonly Dictionary<Subject, List<PolicyRule>> _rulesTo = [];

    /// <summary>When the indexed nodes' keys expire and the indexed grants start and end.</summary>
    public NetmapTimeline Timeline { get; } = new();

    /// <summary>A grant that can never be active again at or after <paramref name="at"/>.</summary>
    public static bool Finished(GrantRecord grant, long at) => grant.ExpiresAt <= at || grant.RevokedAt <= at;

    /// <summary>Forgets everything and indexes the mesh as it is.</summary>
    public void Reset(IEnumerable<NodeRecord> nodes, IReadOnlyList<PolicyRule> rules, IEnumerable<GrantRecord> grants, long now)
    {
        _nodes.Clear();
        _byName.Clear();
        _byUser.Clear();
        _byTag.Clear();
        _grants.Clear();
        _grantsBySubject.Clear();
        _grantsByTarget.Clear();
        _rulesFrom.Clear();
        _rulesTo.Clear();
        Timeline.Clear();
        foreach (var n in nodes)
        {
            SetNode(n.Id, n);
        }

        foreach (var rule in rules)
        {
            Add(_rulesFrom, rule.From, rule);
            Add(_rulesTo, rule.To, rule);
        }

        foreach (var g in grants)
        {
            SetGrant(g, now);
        }
    }

    /// <summary>The node was added, changed (<paramref name="current"/>) or removed (null).</summary>
    public void SetNode(string id, NodeRecord? current)
    {
        if (_nodes.Remove(id, out var old))
        {
            Timeline.Remove(old);
            Remove(_byName, old.Name, id);
            Remove(_byUser, old.User, id);
            foreach (var tag in old.Tags)
            {
                Remove(_byTag, tag, id);
            }
        }

        if (current is null)
        {
            return;
        }

        _nodes[id] = current;
        Timeline.Add(current);
        Add(_byName, current.Name, id);
        Add(_byUser, current.User, id);
        foreach (var tag in current.Tags)
        {
            Add(_byTag, tag, id);
        }
    }

    /// <summary>The grant was added or changed; it stays indexed until it is finished at <paramref name="now"/>.</summary>
    public void SetGrant(GrantRecord grant, long now)
    {
        if (_grants.Remove(grant.Id, out var old))
        {
            Timeline.Remove(old);
            if (SideKey(old.Subject, old.SubjectNodeId) is { } s)
            {
                Remove(_grantsBySubject, s, old.Id);
            }

            if (SideKey(old.Target, old.TargetNodeId) is { } t)
            {
                Remove(_grantsByTarget, t, old.Id);
            }
        }

        if (Finished(grant, now))
        {
            return;
        }

        _grants[grant.Id] = grant;
        Timeline.Add(grant);
        if (SideKey(grant.Subject, grant.SubjectNodeId) is { } subject)
        {
            Add(_grantsBySubject, subject, grant.Id);
        }

        if (SideKey(grant.Target, grant.TargetNodeId) is { } target)
        {
            Add(_grantsByTarget, target, grant.Id);
        }
    }

    /// <summary>The grant as last indexed, or null if it is not (finished, or never seen).</summary>
    public GrantRecord? Grant(string id) => _grants.GetValueOrDefault(id);

    /// <summary>The node as last indexed, or null.</summary>
    public NodeRecord? Node(string id) => _nodes.GetValueOrDefault(id);

    /// <summary>The ids of the nodes a rule's side covers, as <see cref="SubjectCoverage.Covers"/> reads it.</summary>
    public IReadOnlyCollection<string> Covered(Subject subject)
    {
        var map = subject.Kind switch
        {
            SubjectKind.Node => _byName,
            SubjectKind.User => _byUser,
            _ => _byTag,
        };
        return map.TryGetValue(subject.Name, out var ids) ? ids : [];
    }

    /// <summary>The ids of the nodes a grant's side covers, as <see cref="AccessEvaluator.GrantCovers"/> reads it.</summary>
    public IReadOnlyCollection<string> GrantCovered(Subject side, string? nodeId)
    {
        if (side.Kind != SubjectKind.Node)
        {
            return Covered(side);
        }

        return nodeId is not null && _nodes.ContainsKey(nodeId) ? [nodeId] : [];
    }

    /// <summary>The rules whose FROM covers the node.</summary>
    public IEnumerable<PolicyRule> RulesFrom(NodeRecord node) => Rules(_rulesFrom, node);

    /// <summary>The rules whose TO covers the node.</summary>
    public IEnumerable<PolicyRule> RulesTo(NodeRecord node) => Rules(_rulesTo, node);

    /// <summary>The unfinished grants whose subject side covers the node.</summary>
    public IEnumerable<GrantRecord> GrantsFrom(NodeRecord node) => Grants(_grantsBySubject, node);

    /// <summary>The unfinished grants whose target side covers the node.</summary>
    public IEnumerable<GrantRecord> GrantsTo(NodeRecord node) => Grants(_grantsByTarget, node);

    private static IEnumerable<PolicyRule> Rules(Dictionary<Subject, List<PolicyRule>> map, NodeRecord node)
    {
        foreach (var key in Keys(node))
        {
            if (map.TryGetValue(key, out var rules))
            {
                foreach (var rule in rules)
                {
                    yield return rule;
                }
            }
        }
    }

    private IEnumerable<GrantRecord> Grants(Dictionary<string, HashSet<string>> map, NodeRecord node)
    {
        // A grant's node side is bound to the node's id; its user: and tag: sides to the node's attributes.
        foreach (var key in Keys(node))
        {
            var text = key.Kind == SubjectKind.Node ? NodeKey(node.Id) : key.ToString();
            if (map.TryGetValue(text, out var ids))
            {
                foreach (var id in ids)
                {
                    yield return _grants[id];
                }
            }
        }
    }

    // Every subject that covers the node; a tag listed twice on a node is one key.
    private static IEnumerable<Subject> Keys(NodeRecord node)
    {
        yield return Subject.Node(node.Name);
        yield return Subject.User(node.User);
        foreach (var tag in node.Tags.Distinct(StringComparer.Ordinal))
        {
            yield return Subject.Tag(tag);
        }
    }

    private static string? SideKey(Subject side, string? nodeId) =>
        side.Kind == SubjectKind.Node ? (nodeId is null ? null : NodeKey(nodeId)) : side.ToString();

    // Node ids and user:/tag: texts cannot collide: a node name has no ':'.
    private static string NodeKey(string nodeId) => "id:" + nodeId;

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> map, TKey key, TValue value)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(value);
    }

    private static void Add(Dictionary<string, HashSet<string>> map, string key, string id)
    {
        if (!map.TryGetValue(key, out var set))
        {
            map[key] = set = new HashSet<string>(StringComparer.Ordinal);
        }

        set.Add(id);
    }

    private static void Remove(Dictionary<string, HashSet<string>> map, string key, string id)
    {
        if (map.TryGetValue(key, out var set) && set.Remove(id) && set.Count == 0)
        {
            map.Remove(key);
        }
    }
}
