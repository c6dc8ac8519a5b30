using MeshPorts.Coordinator.State.Netmaps;
using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Replication;

/// <summary>
/// What another replica changed, found by comparing the model before a reload from the store with the model after
/// it, so that the reload recomputes only the views those changes can alter (a grant made through B recomputes two
/// nodes on A, not ten thousand). Only what a netmap is made of counts: a node's serial, token or rotate request
/// does not, a grant's expiry mark does not.
/// </summary>
internal static class StoreDiff
{
    public static NetmapChange Between(
        IReadOnlyDictionary<string, NodeRecord> nodesBefore, IReadOnlyDictionary<string, NodeRecord> nodesAfter,
        IEnumerable<GrantRecord> grantsBefore, IEnumerable<GrantRecord> grantsAfter)
    {
        ArgumentNullException.ThrowIfNull(nodesBefore);
        ArgumentNullException.ThrowIfNull(nodesAfter);
        var nodes = new List<string>();
        var records = false;
        foreach (var (id, after) in nodesAfter)
        {
            if (!nodesBefore.TryGetValue(id, out var before))
            {
                nodes.Add(id);
                records = true;
            }
            else if (!SameIdentity(before, after))
            {
                nodes.Add(id);
                records = true;
            }
            else if (!SameKeys(before, after))
            {
                nodes.Add(id);
            }
        }

        foreach (var id in nodesBefore.Keys)
        {
            if (!nodesAfter.ContainsKey(id))
            {
                nodes.Add(id);
                records = true;
            }
        }

        var old = grantsBefore.ToDictionary(g => g.Id, StringComparer.Ordinal);
        var grants = grantsAfter.Where(g => !old.TryGetValue(g.Id, out var was) || !SameGrant(was, g)).ToList();
        return new NetmapChange(nodes, grants, records);
    }

    // What the enrolled directory and other nodes' views are built from.
    private static bool SameIdentity(NodeRecord a, NodeRecord b) =>
        a.Name == b.Name && a.User == b.User && a.AddressIndex == b.AddressIndex
        && a.MachineKey.AsSpan().SequenceEqual(b.MachineKey)
        && a.Tags.SequenceEqual(b.Tags, StringComparer.Ordinal)
        && a.Services.SequenceEqual(b.Services)
        && a.Endpoints.SequenceEqual(b.Endpoints, StringComparer.Ordinal);

    private static bool SameKeys(NodeRecord a, NodeRecord b) =>
        a.KeyExpiresAt == b.KeyExpiresAt
        && a.WireGuardKey.AsSpan().SequenceEqual(b.WireGuardKey)
        && (a.PreviousWireGuardKey ?? []).AsSpan().SequenceEqual(b.PreviousWireGuardKey ?? [])
        && (a.PreviousWireGuardKey is null) == (b.PreviousWireGuardKey is null);

    private static bool SameGrant(GrantRecord a, GrantRecord b) => a with { ExpiryAudited = b.ExpiryAudited } == b;
}
