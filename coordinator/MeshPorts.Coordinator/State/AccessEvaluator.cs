using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State;

/// <summary>
/// Pure access logic: which node pairs standing rules and live grants allow, and why. No IO, no clock:
/// the caller passes the time, so the same code answers "now", "at T" and the scheduler.
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
            Expand(list, nodes, rule.From, rule.To, rule.Port, rule.Protocol, null, "rule:" + rule.Name);
        }

        foreach (var grant in grants)
        {
            if (IsGrantActive(grant, at))
            {
                Expand(list, nodes, Subject.Parse(grant.Subject), Subject.Parse(grant.Target), grant.Port, grant.Protocol, grant.ExpiresAt, "grant:" + grant.Id);
            }
        }

        return list;
    }

    private static void Expand(List<Permission> list, IReadOnlyCollection<NodeRecord> nodes, Subject from, Subject to, int port, string protocol, long? until, string allowedBy)
    {
        foreach (var source in nodes)
        {
            if (!from.Covers(source))
            {
                continue;
            }

            foreach (var target in nodes)
            {
                if (target.Id != source.Id && to.Covers(target))
                {
                    list.Add(new Permission(source.Id, target.Id, port, protocol, until, allowedBy));
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
        Subject from, Subject to, int port, string protocol, long at)
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
                && Matches(Subject.Parse(grant.Subject), from, nodes) && Matches(Subject.Parse(grant.Target), to, nodes)
                && (best is null || grant.ExpiresAt > best.Until))
            {
                best = new AccessDecision(true, "grant:" + grant.Id, grant.ExpiresAt,
                    $"allowed by grant {grant.Id} ({grant.Subject} -> {grant.Target}:{grant.Port}/{grant.Protocol}) until {DateTimeOffset.FromUnixTimeMilliseconds(grant.ExpiresAt):yyyy-MM-ddTHH:mm:ssZ}");
            }
        }

        return best ?? new AccessDecision(false, "", null, $"no rule or active grant lets {from} reach {to}:{port}/{protocol}");
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
}
