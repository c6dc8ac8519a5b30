namespace MeshPorts.Coordinator.Storage;

/// <summary>The hash-chained audit log and its signed head. The store keeps rows and chains them inside its write transaction; the hashes and the signature are computed by the sealer (the audit log).</summary>
internal interface IAuditStore
{
    Task<AuditRecord?> GetLastAsync(CancellationToken cancellationToken);

    /// <summary>Appends events that record no other change (refusals, reports); changes carry theirs into their own transaction.</summary>
    Task AppendAsync(PendingAudit audit, CancellationToken cancellationToken);

    /// <summary>The last head stored, or null when none was ever signed (an empty log, or one written before heads were signed).</summary>
    Task<AuditHeadRecord?> GetHeadAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the stored head without an event: only for signing the head of a log written before heads were signed.</summary>
    Task SetHeadAsync(AuditHeadRecord head, CancellationToken cancellationToken);

    /// <summary>Events with seq &gt; <paramref name="afterSeq"/> and time &gt;= <paramref name="sinceTime"/>, in seq order.</summary>
    Task<IReadOnlyList<AuditRecord>> ListAsync(long afterSeq, long sinceTime, int limit, CancellationToken cancellationToken);

    Task<long> CountAsync(CancellationToken cancellationToken);
}
