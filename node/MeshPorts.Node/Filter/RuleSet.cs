using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

/// <summary>An immutable snapshot of the node's rules, indexed by peer; swapped whole by ReplaceRules.</summary>
internal sealed class RuleSet
{
    private static readonly RuleSlot[] NoSlots = [];

    private readonly Dictionary<WgKey, RuleSlot[]> _byPeer;

    public RuleSet(RuleSlot[] slots)
    {
        Slots = slots;
        ById = new Dictionary<string, RuleSlot>(slots.Length, StringComparer.Ordinal);
        foreach (var slot in slots)
        {
            ById.Add(slot.Rule.Id, slot);
        }

        _byPeer = slots.GroupBy(s => s.Rule.Peer).ToDictionary(g => g.Key, g => g.ToArray());
    }

    public static RuleSet Empty { get; } = new([]);

    public RuleSlot[] Slots { get; }

    public Dictionary<string, RuleSlot> ById { get; }

    public RuleSlot[] ForPeer(in WgKey peer) => _byPeer.TryGetValue(peer, out var slots) ? slots : NoSlots;

    /// <summary>
    /// The active slot that admits this flow and lasts longest, so a flow allowed by both a grant and a
    /// standing rule is bound to the rule; null when nothing admits it.
    /// </summary>
    public RuleSlot? FindAdmitter(in WgKey peer, FilterProtocol protocol, ushort localPort, ReadOnlySpan<byte> source, long nowTicks)
    {
        RuleSlot? best = null;
        foreach (var slot in ForPeer(peer))
        {
            var rule = slot.Rule;
            if (slot.IsActive(nowTicks) && rule.AllowsPort(protocol, localPort) && rule.AllowsSource(source) &&
                (best is null || slot.NotAfterTicks > best.NotAfterTicks))
            {
                best = slot;
            }
        }

        return best;
    }

    /// <summary>Echo requests are answered for any peer that holds an active rule to this node.</summary>
    public RuleSlot? FindAnyActive(in WgKey peer, ReadOnlySpan<byte> source, long nowTicks)
    {
        RuleSlot? best = null;
        foreach (var slot in ForPeer(peer))
        {
            if (slot.IsActive(nowTicks) && slot.Rule.AllowsSource(source) && (best is null || slot.NotAfterTicks > best.NotAfterTicks))
            {
                best = slot;
            }
        }

        return best;
    }
}
