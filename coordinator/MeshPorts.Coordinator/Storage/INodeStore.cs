namespace MeshPorts.Coordinator.Storage;

/// <summary>Enrolled nodes.</summary>
internal interface INodeStore
{
    Task<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: takes one use of the token (only if it has uses left, is unrevoked and
    /// unexpired at <paramref name="now"/>), inserts the node and appends <paramref name="audit"/>; on any other outcome
    /// nothing is written. Two racers on a single-use token:
    /// exactly one gets <see cref="EnrollOutcome.Enrolled"/>.
    /// </summary>
    Task<EnrollOutcome> EnrollAsync(string tokenId, long now, NodeRecord node, PendingAudit audit, CancellationToken cancellationToken);

    /// <summary>In one transaction: deletes the node and ends (revoked_at = <paramref name="endedAt"/>) the grants that named it, with
    /// <paramref name="audit"/>'s events (none if there was no such node).</summary>
    Task<bool> DeleteAsync(string id, IReadOnlyCollection<string> endGrantIds, long endedAt, PendingAudit audit, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the expiry of each (node, key expiry) as audited, only where that node still has that key expiry and it
    /// is not yet marked, and writes the events of those marked (entry i of <paramref name="audit"/> records
    /// <paramref name="keys"/>[i]). Returns the node ids this call marked.
    /// </summary>
    Task<IReadOnlyList<string>> MarkKeyExpiryAuditedAsync(IReadOnlyList<(string NodeId, long ExpiresAt)> keys, PendingAudit audit, CancellationToken cancellationToken);

    /// <summary>A new key (a new expiry: its end is not audited yet) is audited; <paramref name="audit"/> is null only when the previous key is dropped at the end of a rotation already audited.</summary>
    Task UpdateKeyAsync(string id, byte[] wireGuardKey, byte[]? previousKey, long keyExpiresAt, PendingAudit? audit, CancellationToken cancellationToken);

    /// <summary>Persists the latest serials produced, in one transaction: bookkeeping, not a change anyone audits.</summary>
    Task UpdateLatestSerialsAsync(IReadOnlyDictionary<string, ulong> serials, CancellationToken cancellationToken);

    Task UpdateAppliedSerialAsync(string id, ulong appliedSerial, PendingAudit audit, CancellationToken cancellationToken);
}
