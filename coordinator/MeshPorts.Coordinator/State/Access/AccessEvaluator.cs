using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Access;

/// <summary>
/// Pure access logic: which node pairs standing rules and live grants allow, and why. No IO, no clock:
/// the caller passes the time, so the same code answers "now", "at T" and the scheduler. Rules and grants come
/// parsed (subjects, protocols, node ids), so nothing here reads text.
/// </summary>
internal static class AccessEvaluator
{
    public static bool IsGrantActive(GrantRecord grant, long at) =>
        grant.CreatedAt <= at && at < grant.ExpiresAt && (grant.RevokedAt is null || at < grant.RevokedAt);

    /// <summary>Every (source node, target node, port) that a rule or an active grant allows at <paramref name="at"/>.</summary>
    public static List<Permission> Enumerate(IReadOnlyCollection<NodeRecord> nodes, IReadOnlyList<PolicyRule> rules, IReadOnlyList<GrantRecord> grants, long at)
    {
        var list = new List<Permission>();
        foreach (var rule in rules)
        {
            Expand(list, nodes, n => rule.From.Covers(n), n => rule.To.Covers(n), rule.Port, rule.Protocol, null, "rule:" + rule.Name, PermissionSource.Policy);
        }

        foreach (var grant in grants)
        {
            if (IsGrantActive(grant, at))
            {
                Expand(list, nodes, n => GrantCovers(grant.Subject, grant.SubjectNodeId, n), n => GrantCovers(grant.Target, grant.TargetNodeId, n),
                    grant.Port, grant.Protocol, grant.ExpiresAt, "grant:" + grant.Id, PermissionSource.Grant);
            }
        }

        return list;
    }

    /// <summary>
    /// A grant's node side covers the node it was made for, by id: a later node given the same name is not it.
    /// user:/tag: sides match the node's attributes, as rules do.
    /// </summary>
    public static bool GrantCovers(Subject side, string? nodeId, NodeRecord node) =>
        side.Kind == SubjectKind.Node ? nodeId is not null && node.Id == nodeId : side.Covers(node);

    private static void Expand(List<Permission> list, IReadOnlyCollection<NodeRecord> nodes, Func<NodeRecord, bool> from, Func<NodeRecord, bool> to,
        int port, PortProtocol protocol, long? until, string allowedBy, PermissionSource kind)
    {
        foreach (var source in nodes)
        {
            if (!from(source))
            {
                continue;
            }

            foreach (var target in nodes)
            {
                if (target.Id != source.Id && to(target))
                {
                    list.Add(new Permission(source.Id, target.Id, port, protocol, until, allowedBy, kind));
                }
            }
        }
    }

    /// <summary>
    /// Whether a rule or grant allows FROM to reach TO:PORT/PROTO at <paramref name="at"/>. A node
    /// query matches rules about its name, user or tags; a user:/tag: query matches rules naming exactly it.
    /// Of several permissions the longest-lasting is reported (a standing rule beats any grant).
    /// </summary>
    public static AccessDecision Check(IReadOnlyCollection<NodeRecord> nodes, IReadOnlyList<PolicyRule> rules, IReadOnlyList<GrantRecord> grants,
        Subject from, Subject to, int port, PortProtocol protocol, long at)
    {
        AccessDecision? best = null;
        foreach (var rule in rules)
        {
            if (rule.Port == port && rule.Protocol == protocol && Matches(rule.From, from, nodes) && Matches(rule.To, to, nodes))
            {
                return new AccessDecision(true, "rule:" + rule.Name, null, $"allowed by standing rule '{rule.Name}' (line {rule.Line})");
            }
        }

        foreach (var grant in grants)
        {
            if (IsGrantActive(grant, at) && grant.Port == port && grant.Protocol == protocol
                && MatchesGrant(grant.Subject, grant.SubjectNodeId, from, nodes)
                && MatchesGrant(grant.Target, grant.TargetNodeId, to, nodes)
                && (best is null || grant.ExpiresAt > best.Until))
            {
                best = new AccessDecision(true, "grant:" + grant.Id, grant.ExpiresAt,
                    $"allowed by grant {grant.Id} ({grant.Subject} -> {grant.Target}:{grant.Port}/{grant.Protocol.ToText()}) until {DateTimeOffset.FromUnixTimeMilliseconds(grant.ExpiresAt):yyyy-MM-ddTHH:mm:ssZ}");
            }
        }

        return best ?? new AccessDecision(false, "", null, $"no rule or active grant lets {from} reach {to}:{port}/{protocol.ToText()}");
    }

    private static bool Matches(Subject pattern, Subject query, IReadOnlyCollection<NodeRecord> nodes)
    {
        if (pattern == query)
        {
            return true;
        }

        if (query.Kind != SubjectKind.Node)
        {
            return false;
        }

        var node = nodes.FirstOrDefault(n => n.Name == query.Name);
        return node is not null && pattern.Covers(node);
    }

    /// <summary>Like <see cref="Matches"/>, but a grant's node side matches only the node it was made for (by id).</summary>
    private static bool MatchesGrant(Subject pattern, string? nodeId, Subject query, IReadOnlyCollection<NodeRecord> nodes)
    {
        if (pattern.Kind != SubjectKind.Node)
        {
            return Matches(pattern, query, nodes);
        }

        if (query.Kind != SubjectKind.Node)
        {
            return false;
        }

        var node = nodes.FirstOrDefault(n => n.Name == query.Name);
        return node is not null && GrantCovers(pattern, nodeId, node);
    }
}
