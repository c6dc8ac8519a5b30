namespace MeshPorts.Node.Filter;

/// <summary>
/// What a flow remembers as its admitter. A slot outlives rule-set replacements that keep its rule
/// (same id, same traffic), so those flows are not disturbed; a slot whose rule disappears is revoked.
/// </summary>
internal sealed class RuleSlot
{
    private FilterRule _rule;
    private long _notAfterTicks;
    private volatile bool _revoked;
    private int _endEnforced;

    /// <param name="notAfterTicks">The rule's end as a monotonic deadline (long.MaxValue for none).</param>
    public RuleSlot(FilterRule rule, long notAfterTicks)
    {
        _rule = rule;
        _notAfterTicks = notAfterTicks;
    }

    public FilterRule Rule => Volatile.Read(ref _rule);

    /// <summary>The end as a monotonic deadline on the filter's clock.</summary>
    public long NotAfterTicks => Volatile.Read(ref _notAfterTicks);

    public bool IsRevoked => _revoked;

    /// <summary>Admits only before NotAfter ("now &lt; NotAfter") and while not revoked.</summary>
    public bool IsActive(long nowTicks) => !_revoked && nowTicks < NotAfterTicks;

    /// <summary>Why a flow admitted by this slot must be cut, or None while it is active.</summary>
    public FilterReason EndReason(long nowTicks) =>
        _revoked ? FilterReason.Revoked : nowTicks < NotAfterTicks ? FilterReason.None : FilterReason.Expired;

    /// <summary>Takes the new version of the same rule (typically a new end).</summary>
    public void Update(FilterRule rule, long notAfterTicks)
    {
        Volatile.Write(ref _rule, rule);
        Volatile.Write(ref _notAfterTicks, notAfterTicks);
    }

    public void Revoke() => _revoked = true;

    /// <summary>True the first time only: the slot's end (expiry or revocation) is counted once, whichever the filter sees first.</summary>
    public bool MarkEndEnforced() => Interlocked.Exchange(ref _endEnforced, 1) == 0;
}
