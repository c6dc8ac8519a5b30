namespace MeshPorts.Coordinator.Storage;

/// <summary>Grants, active and past (kept for audit and listing).</summary>
/// <remarks>Every change takes the audit events that record it and writes them in its own transaction.</remarks>
internal interface IGrantStore
{
    Task InsertAsync(GrantRecord grant, PendingAudit audit, CancellationToken cancellationToken);

    Task<IReadOnlyList<GrantRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Returns false if no such grant or it was already revoked (and then writes no event).</summary>
    Task<bool> RevokeAsync(string id, long revokedAt, PendingAudit audit, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the expiry of each grant in <paramref name="ids"/> as audited, only where it is not yet, and writes the
    /// events of those marked (entry i of <paramref name="audit"/> records <paramref name="ids"/>[i]). Two writers
    /// that both see a grant end audit it once between them. Returns the ids this call marked.
    /// </summary>
    Task<IReadOnlyList<string>> MarkExpiryAuditedAsync(IReadOnlyList<string> ids, PendingAudit audit, CancellationToken cancellationToken);
}
