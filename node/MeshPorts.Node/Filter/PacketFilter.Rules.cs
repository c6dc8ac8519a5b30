namespace MeshPorts.Node.Filter;

internal sealed partial class PacketFilter
{
    /// <summary>
    /// Makes <paramref name="rules"/> the node's whole rule set, atomically. A rule whose id is kept and
    /// that admits the same traffic keeps its flows (taking the new NotAfter); flows whose rule
    /// disappeared, changed, or now ends in the past are cut at once, unless another active rule still
    /// allows them, and the resets to emit are returned. Ids must be unique.
    /// </summary>
    public IReadOnlyList<FilterCut> ReplaceRules(IEnumerable<FilterRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var list = rules.ToList();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in list)
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(rules));
            if (!ids.Add(rule.Id))
            {
                throw new ArgumentException($"Rule id '{rule.Id}' appears twice.", nameof(rules));
            }
        }

        lock (_rulesLock)
        {
            var now = NowTicks;
            var old = Volatile.Read(ref _rules);
            var kept = new HashSet<RuleSlot>(ReferenceEqualityComparer.Instance);
            var slots = new RuleSlot[list.Count];
            var ending = false;
            for (var i = 0; i < list.Count; i++)
            {
                var rule = list[i];
                if (old.ById.TryGetValue(rule.Id, out var slot) && slot.Rule.MatchesSameTrafficAs(rule))
                {
                    // The same end again keeps the deadline taken when it first arrived: re-reading it
                    // against a wall clock stepped back since would extend the grant.
                    var deadline = slot.Rule.NotAfter == rule.NotAfter ? slot.NotAfterTicks : _clock.DeadlineTicks(rule.NotAfter);
                    ending |= deadline <= now && slot.IsActive(now);
                    slot.Update(rule, deadline);
                    kept.Add(slot);
                    slots[i] = slot;
                }
                else
                {
                    slots[i] = new RuleSlot(rule, _clock.DeadlineTicks(rule.NotAfter));
                }
            }

            // Publish first, revoke second: a flow whose rule changed shape can then move to its successor.
            Volatile.Write(ref _rules, new RuleSet(slots));
            foreach (var slot in old.Slots)
            {
                if (!kept.Contains(slot))
                {
                    slot.Revoke();
                    if (slot.MarkEndEnforced())
                    {
                        Counters.CountEndEnforced();
                    }

                    ending = true;
                }
            }

            return ending ? Scan(now, evictIdle: false) : [];
        }
    }
}
