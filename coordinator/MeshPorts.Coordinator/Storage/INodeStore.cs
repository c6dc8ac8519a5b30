namespace MeshPorts.Coordinator.Storage;

/// <summary>Enrolled nodes.</summary>
internal interface INodeStore
{
    Task<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: takes one use of the token (only if it has uses left, is unrevoked and
    /// unexpired at <paramref name="now"/>) and inserts the node. Two racers on a single-use token:
    /// exactly one gets <see cref="EnrollOutcome.Enrolled"/>.
    /// </summary>
    Task<EnrollOutcome> EnrollAsync(string tokenId, long now, NodeRecord node, CancellationToken cancellationToken);

    /// <summary>In one transaction: deletes the node and ends (revoked_at = <paramref name="endedAt"/>) the grants that named it.</summary>
    Task<bool> DeleteAsync(string id, IReadOnlyCollection<string> endGrantIds, long endedAt, CancellationToken cancellationToken);

    Task UpdateKeyAsync(string id, byte[] wireGuardKey, byte[]? previousKey, long keyExpiresAt, CancellationToken cancellationToken);

    /// <summary>Persists the latest serials produced, in one transaction.</summary>
    Task UpdateLatestSerialsAsync(IReadOnlyDictionary<string, ulong> serials, CancellationToken cancellationToken);

    Task UpdateAppliedSerialAsync(string id, ulong appliedSerial, CancellationToken cancellationToken);
}
