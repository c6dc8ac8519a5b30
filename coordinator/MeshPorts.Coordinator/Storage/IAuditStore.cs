namespace MeshPorts.Coordinator.Storage;

/// <summary>The hash-chained audit log. The store keeps rows; the chain is computed by the caller.</summary>
internal interface IAuditStore
{
    Task<AuditRecord?> GetLastAsync(CancellationToken cancellationToken);

    Task AppendAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>Events with seq &gt; <paramref name="afterSeq"/> and time &gt;= <paramref name="sinceTime"/>, in seq order.</summary>
    Task<IReadOnlyList<AuditRecord>> ListAsync(long afterSeq, long sinceTime, int limit, CancellationToken cancellationToken);

    Task<long> CountAsync(CancellationToken cancellationToken);
}
