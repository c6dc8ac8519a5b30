using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Access;
using MeshPorts.Coordinator.State.Endpoints;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// One node's view, from the index: only the rules and grants that name the node are looked at, and only the
/// nodes on their other side. It gives exactly what <see cref="NetmapBuilder.Build"/> gives for that node (the
/// tests hold it to that); the cost is the node's permissions times their other sides, not rules times nodes².
/// </summary>
internal static class NodeViewBuilder
{
    public static NodeView Build(NodeRecord self, NetmapIndex index, IReadOnlyDictionary<string, NodeRecord> nodes, OverlayAddressing addressing,
        IReadOnlyDictionary<string, ReportedEndpoints> reported, long now)
    {
        var peerUntil = new Dictionary<string, long>(StringComparer.Ordinal);
        var rules = new Dictionary<string, InboundRuleView>(StringComparer.Ordinal);

        // A node whose key has expired sees nobody, and nobody sees it.
        if (self.KeyExpiresAt > now)
        {
            foreach (var rule in index.RulesFrom(self))
            {
                foreach (var target in Live(index.Covered(rule.To), self.Id, nodes, now))
                {
                    Extend(peerUntil, target.Id, long.MaxValue);
                }
            }

            foreach (var rule in index.RulesTo(self))
            {
                foreach (var source in Live(index.Covered(rule.From), self.Id, nodes, now))
                {
                    Extend(peerUntil, source.Id, long.MaxValue);
                    AddRule(rules, source, rule.Port, rule.Protocol, null, "rule:" + rule.Name, PermissionSource.Policy, addressing);
                }
            }

            foreach (var grant in index.GrantsFrom(self))
            {
                if (AccessEvaluator.IsGrantActive(grant, now))
                {
                    foreach (var target in Live(index.GrantCovered(grant.Target, grant.TargetNodeId), self.Id, nodes, now))
                    {
                        Extend(peerUntil, target.Id, grant.ExpiresAt);
                    }
                }
            }

            foreach (var grant in index.GrantsTo(self))
            {
                if (AccessEvaluator.IsGrantActive(grant, now))
                {
                    foreach (var source in Live(index.GrantCovered(grant.Subject, grant.SubjectNodeId), self.Id, nodes, now))
                    {
                        Extend(peerUntil, source.Id, grant.ExpiresAt);
                        AddRule(rules, source, grant.Port, grant.Protocol, grant.ExpiresAt, "grant:" + grant.Id, PermissionSource.Grant, addressing);
                    }
                }
            }
        }

        var peers = new Dictionary<string, PeerView>(peerUntil.Count, StringComparer.Ordinal);
        foreach (var (id, until) in peerUntil)
        {
            var o = nodes[id];
            var report = reported.GetValueOrDefault(id);
            peers[id] = new PeerView(o.Id, o.Name, o.User, o.Tags, o.WireGuardKey, o.PreviousWireGuardKey, NetmapBuilder.Addresses(o, addressing),
                ReportedEndpoints.AfterEnrolled(o.Endpoints, report), Math.Min(until, o.KeyExpiresAt), report?.HomeRelay ?? string.Empty);
        }

        return new NodeView(self, OverlayAddressing.Ipv4(self.AddressIndex), addressing.Ipv6(self.AddressIndex), peers, rules);
    }

    private static IEnumerable<NodeRecord> Live(IReadOnlyCollection<string> ids, string selfId, IReadOnlyDictionary<string, NodeRecord> nodes, long now)
    {
        foreach (var id in ids)
        {
            if (id != selfId && nodes.TryGetValue(id, out var n) && n.KeyExpiresAt > now)
            {
                yield return n;
            }
        }
    }

    private static void AddRule(Dictionary<string, InboundRuleView> rules, NodeRecord source, int port, PortProtocol protocol, long? until,
        string allowedBy, PermissionSource kind, OverlayAddressing addressing)
    {
        var id = FormattableString.Invariant($"{allowedBy}/{source.Id}/{port}/{protocol.ToText()}");
        rules[id] = new InboundRuleView(id, source.Id, source.Name, NetmapBuilder.Addresses(source, addressing), port, protocol,
            Math.Min(until ?? long.MaxValue, source.KeyExpiresAt), allowedBy, kind);
    }

    // The pair stays valid as long as its longest-lasting permission, in either direction.
    private static void Extend(Dictionary<string, long> map, string id, long until) =>
        map[id] = map.TryGetValue(id, out var existing) ? Math.Max(existing, until) : until;
}
