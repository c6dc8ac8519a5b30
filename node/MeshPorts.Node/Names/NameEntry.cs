using System.Net;

namespace MeshPorts.Node.Names;

/// <summary>
/// One name the node answers: a peer's (or its own) overlay addresses until <see cref="DeadlineTicks"/>, a
/// deadline on the node's monotonic clock (<see cref="Coordinator.CoordinatorClock"/>) taken from the peer's
/// valid_until when the netmap arrived, so a name ends with its grant even if no delta ever says so.
/// </summary>
internal sealed record NameEntry(string Name, IPAddress? Ipv4, IPAddress? Ipv6, long DeadlineTicks, bool IsSelf)
{
    public bool IsLive(long nowTicks) => nowTicks < DeadlineTicks;

    /// <summary>True when <paramref name="address"/> is one of this entry's overlay addresses.</summary>
    public bool Has(IPAddress address) => address.Equals(Ipv4) || address.Equals(Ipv6);
}
