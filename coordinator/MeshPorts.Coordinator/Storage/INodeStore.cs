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

    /// <summary>In one transaction: deletes the node (and the rotation waits naming it) and ends (revoked_at = <paramref name="endedAt"/>) the grants that named it, with
    /// <paramref name="audit"/>'s events (none if there was no such node).</summary>
    Task<bool> DeleteAsync(string id, IReadOnlyCollection<string> endGrantIds, long endedAt, PendingAudit audit, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the expiry of each (node, key expiry) as audited, only where that node still has that key expiry and it
    /// is not yet marked, and writes the events of those marked (entry i of <paramref name="audit"/> records
    /// <paramref name="keys"/>[i]). Returns the node ids this call marked.
    /// </summary>
    Task<IReadOnlyList<string>> MarkKeyExpiryAuditedAsync(IReadOnlyList<(string NodeId, long ExpiresAt)> keys, PendingAudit audit, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction with <paramref name="audit"/>: the node's new key and expiry (its end not yet audited), the
    /// previous key kept for peers, the admin's rotate request cleared, and <paramref name="waitingPeers"/> as the
    /// peers the rotation waits for (replacing any earlier wait).
    /// </summary>
    Task RotateKeyAsync(string id, byte[] wireGuardKey, byte[] previousKey, long keyExpiresAt, IReadOnlyCollection<string> waitingPeers,
        PendingAudit audit, CancellationToken cancellationToken);

    /// <summary>
    /// Drops <paramref name="peerIds"/> from the node's rotation waits; when none is left and the previous key is still
    /// kept, drops it too and writes <paramref name="readyAudit"/>. Returns true only for the call that finished the
    /// rotation, so exactly one coordinator tells the node.
    /// </summary>
    Task<bool> FinishRotationWaitsAsync(string id, IReadOnlyCollection<string> peerIds, PendingAudit readyAudit, CancellationToken cancellationToken);

    /// <summary>Every (rotating node, peer it waits for).</summary>
    Task<IReadOnlyList<(string NodeId, string PeerId)>> ListRotationWaitsAsync(CancellationToken cancellationToken);

    /// <summary>Records an admin's rotate request for each node (kept until the node rotates), with one event each in <paramref name="audit"/>.</summary>
    Task RequestRotationAsync(IReadOnlyList<string> ids, long requestedAt, PendingAudit audit, CancellationToken cancellationToken);

    Task UpdateAppliedSerialAsync(string id, ulong appliedSerial, PendingAudit audit, CancellationToken cancellationToken);
}
