namespace MeshPorts.Coordinator.Storage;

/// <summary>Grants, active and past (kept for audit and listing).</summary>
internal interface IGrantStore
{
    Task InsertAsync(GrantRecord grant, CancellationToken cancellationToken);

    Task<IReadOnlyList<GrantRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Returns false if no such grant or it was already revoked.</summary>
    Task<bool> RevokeAsync(string id, long revokedAt, CancellationToken cancellationToken);

    Task MarkExpiryAuditedAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);
}
