namespace MeshPorts.Coordinator.State.Netmaps;

/// <summary>A moment on the <see cref="NetmapTimeline"/>: when (Unix ms), and whose (a node's key expiry, or a grant's start or end).</summary>
internal readonly record struct NetmapMoment(long At, bool IsGrant, string Id) : IComparable<NetmapMoment>
{
    public int CompareTo(NetmapMoment other)
    {
        var c = At.CompareTo(other.At);
        if (c == 0)
        {
            c = IsGrant.CompareTo(other.IsGrant);
        }

        return c != 0 ? c : string.CompareOrdinal(Id, other.Id);
    }
}
