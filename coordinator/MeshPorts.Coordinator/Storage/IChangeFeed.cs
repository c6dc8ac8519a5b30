namespace MeshPorts.Coordinator.Storage;

/// <summary>
/// How a coordinator learns that another one on the same database committed a change. Every change is written
/// with its audit event in one transaction, so the audit sequence number is the change serial: a follower that
/// has seen everything up to seq N and reads N' &gt; N knows it must reload. The database stays the source of
/// truth; the feed only says when to look.
/// </summary>
internal interface IChangeFeed
{
    /// <summary>The highest committed change serial (audit seq), 0 for an empty log.</summary>
    Task<long> LatestAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Completes once a change serial above <paramref name="after"/> may be committed, or when
    /// <paramref name="maxWait"/> has passed (the caller then reads <see cref="LatestAsync"/> anyway, so a lost
    /// notification costs at most one wait). Returns the serial it saw, or <paramref name="after"/> when none.
    /// </summary>
    Task<long> WaitAsync(long after, TimeSpan maxWait, CancellationToken cancellationToken);
}
