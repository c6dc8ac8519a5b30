namespace MeshPorts.Coordinator.Storage;

/// <summary>One audit event before it is chained: what the caller knows ahead of the transaction.</summary>
internal sealed record AuditEntry(string Kind, string Actor, string Subject, string Outcome, string Details);

/// <summary>
/// The events of one transaction, chained after the stored last event, each with the signed head that covers it
/// (<see cref="Heads"/>[i] after <see cref="Records"/>[i]); the store keeps the last head, the mirror every one.
/// </summary>
internal sealed record SealedAudit(IReadOnlyList<AuditRecord> Records, IReadOnlyList<AuditHeadRecord> Heads)
{
    public AuditHeadRecord Head => Heads[^1];
}

/// <summary>Turns entries into chained, signed records; the audit log implements it, the stores call it.</summary>
internal interface IAuditSealer
{
    AuditEntry Entry(string kind, string actor, string subject, string outcome, object? details);

    /// <summary>Chains <paramref name="entries"/> after <paramref name="last"/> (null: the log is empty) and signs the new head.</summary>
    SealedAudit Seal(AuditRecord? last, IReadOnlyList<AuditEntry> entries);

    /// <summary>After the commit, before the next writer commits: mirrors, logs and fans out, in chain order.</summary>
    void Committed(SealedAudit sealedAudit);
}

/// <summary>
/// The audit events a change records, written by the store IN THE SAME TRANSACTION as the change: the store reads
/// the chain's last event inside its transaction (so writers on several replicas keep one chain), seals these
/// entries after it, inserts them and the head, commits, and only then calls <see cref="Committed"/>. A crash
/// at any moment leaves either the change with its events or neither.
/// </summary>
internal sealed class PendingAudit
{
    private readonly IAuditSealer _sealer;
    private readonly List<AuditEntry> _entries = [];

    public PendingAudit(IAuditSealer sealer)
    {
        ArgumentNullException.ThrowIfNull(sealer);
        _sealer = sealer;
    }

    public IReadOnlyList<AuditEntry> Entries => _entries;

    /// <summary>What was committed, once it was.</summary>
    public SealedAudit? Sealed { get; private set; }

    /// <summary>Adds one more event; <paramref name="details"/> is a small object stored as JSON that must never hold secrets.</summary>
    public PendingAudit And(string kind, string actor, string subject, string outcome, object? details)
    {
        if (Sealed is not null)
        {
            throw new InvalidOperationException("these audit events were already committed");
        }

        _entries.Add(_sealer.Entry(kind, actor, subject, outcome, details));
        return this;
    }

    /// <summary>
    /// Keeps only the entries at <paramref name="indexes"/>: for a change made of several conditional steps (entry i
    /// records step i), the store drops the events of the steps that another writer had already made.
    /// </summary>
    public void RetainOnly(IReadOnlySet<int> indexes)
    {
        ArgumentNullException.ThrowIfNull(indexes);
        if (Sealed is not null)
        {
            throw new InvalidOperationException("these audit events were already committed");
        }

        var kept = _entries.Where((_, i) => indexes.Contains(i)).ToList();
        _entries.Clear();
        _entries.AddRange(kept);
    }

    public SealedAudit Seal(AuditRecord? last) => _sealer.Seal(last, _entries);

    public void Committed(SealedAudit sealedAudit)
    {
        ArgumentNullException.ThrowIfNull(sealedAudit);
        Sealed = sealedAudit;
        _sealer.Committed(sealedAudit);
    }
}
