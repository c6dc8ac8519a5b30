using MeshPorts.Contracts.Grammar;
using MeshPorts.Coordinator.State.Access;
using MeshPorts.Coordinator.State.Endpoints;
using MeshPorts.Coordinator.State.Policy;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// Computes every node's view at one moment, from scratch. A node sees a peer only if some permission connects
/// them in either direction, and neither key has expired. Pure: time is a parameter.
/// <para>
/// This is the specification: the coordinator computes views one node at a time from an index
/// (<see cref="NodeViewBuilder"/>, <see cref="NetmapViews"/>), and the tests hold every published view equal
/// to what this gives. It costs rules × nodes², so nothing on a request path calls it.
/// </para>
/// </summary>
internal static class NetmapBuilder
{
    public static List<NodeView> Build(IReadOnlyCollection<NodeRecord> allNodes, IReadOnlyList<PolicyRule> rules,
        IReadOnlyList<GrantRecord> grants, OverlayAddressing addressing, long now,
        IReadOnlyDictionary<string, ReportedEndpoints>? reported = null)
    {
        // A node whose key has expired is dropped from every netmap, whether or not it ever rotated.
        var live = allNodes.Where(n => n.KeyExpiresAt > now).ToList();
        var byId = live.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var permissions = AccessEvaluator.Enumerate(live, rules, grants, now);

        var peerUntil = new Dictionary<(string Self, string Other), long>();
        var inbound = new Dictionary<string, Dictionary<string, InboundRuleView>>(StringComparer.Ordinal);
        foreach (var p in permissions)
        {
            var until = p.Until ?? long.MaxValue;
            Extend(peerUntil, (p.SourceId, p.TargetId), until);
            Extend(peerUntil, (p.TargetId, p.SourceId), until);

            var source = byId[p.SourceId];
            var id = FormattableString.Invariant($"{p.AllowedBy}/{p.SourceId}/{p.Port}/{p.Protocol.ToText()}");
            var rule = new InboundRuleView(id, source.Id, source.Name, Addresses(source, addressing), p.Port, p.Protocol,
                Math.Min(until, source.KeyExpiresAt), p.AllowedBy, p.Source);
            if (!inbound.TryGetValue(p.TargetId, out var map))
            {
                inbound[p.TargetId] = map = new Dictionary<string, InboundRuleView>(StringComparer.Ordinal);
            }

            map[id] = rule;
        }

        var views = new List<NodeView>(allNodes.Count);
        foreach (var node in allNodes)
        {
            var peers = new Dictionary<string, PeerView>(StringComparer.Ordinal);
            if (byId.ContainsKey(node.Id))
            {
                foreach (var ((self, other), until) in peerUntil)
                {
                    if (self == node.Id)
                    {
                        var o = byId[other];
                        var report = reported?.GetValueOrDefault(o.Id);
                        peers[other] = new PeerView(o.Id, o.Name, o.User, o.Tags, o.WireGuardKey, o.PreviousWireGuardKey,
                            Addresses(o, addressing), ReportedEndpoints.AfterEnrolled(o.Endpoints, report), Math.Min(until, o.KeyExpiresAt), report?.HomeRelay ?? string.Empty);
                    }
                }
            }

            var rulesForNode = byId.ContainsKey(node.Id) && inbound.TryGetValue(node.Id, out var r)
                ? r
                : new Dictionary<string, InboundRuleView>(StringComparer.Ordinal);
            views.Add(new NodeView(node, OverlayAddressing.Ipv4(node.AddressIndex), addressing.Ipv6(node.AddressIndex), peers, rulesForNode));
        }

        return views;
    }

    public static IReadOnlyList<string> Addresses(NodeRecord node, OverlayAddressing addressing) =>
        [OverlayAddressing.Ipv4(node.AddressIndex) + "/32", addressing.Ipv6(node.AddressIndex) + "/128"];

    private static void Extend(Dictionary<(string, string), long> map, (string, string) key, long until)
    {
        // The pair stays valid as long as its longest-lasting permission.
        map[key] = map.TryGetValue(key, out var existing) ? Math.Max(existing, until) : until;
    }
}
