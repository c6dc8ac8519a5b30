using MeshPorts.Coordinator.Storage;

namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>
/// The moments at which a view can change by itself: a key's expiry, a grant's start, end and revocation. Only
/// the moments of the nodes and unfinished grants the index holds, as they are now, so a recompute finds what
/// started or ended since the last one in O(log n + what did), and the expiry timer its next deadline.
/// </summary>
internal sealed class NetmapTimeline
{
    private readonly SortedSet<NetmapMoment> _moments = [];

    public void Clear() => _moments.Clear();

    public void Add(NodeRecord node) => _moments.Add(new NetmapMoment(node.KeyExpiresAt, IsGrant: false, node.Id));

    public void Remove(NodeRecord node) => _moments.Remove(new NetmapMoment(node.KeyExpiresAt, IsGrant: false, node.Id));

    public void Add(GrantRecord grant)
    {
        foreach (var at in Times(grant))
        {
            _moments.Add(new NetmapMoment(at, IsGrant: true, grant.Id));
        }
    }

    public void Remove(GrantRecord grant)
    {
        foreach (var at in Times(grant))
        {
            _moments.Remove(new NetmapMoment(at, IsGrant: true, grant.Id));
        }
    }

    /// <summary>The moments in (<paramref name="after"/>, <paramref name="upTo"/>], earliest first, as a copy (the caller may change the timeline).</summary>
    public List<NetmapMoment> Between(long after, long upTo) =>
        upTo <= after ? [] : [.. _moments.GetViewBetween(new NetmapMoment(after + 1, false, ""), new NetmapMoment(upTo, true, "\uffff"))];

    /// <summary>The first moment after <paramref name="after"/>, or null.</summary>
    public long? Next(long after) =>
        after == long.MaxValue ? null : _moments.GetViewBetween(new NetmapMoment(after + 1, false, ""), new NetmapMoment(long.MaxValue, true, "\uffff")) is { Count: > 0 } view ? view.Min.At : null;

    private static IEnumerable<long> Times(GrantRecord grant)
    {
        yield return grant.CreatedAt;
        yield return grant.ExpiresAt;
        if (grant.RevokedAt is { } revoked)
        {
            yield return revoked;
        }
    }
}
