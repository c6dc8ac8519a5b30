using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

/// <summary>
/// A flow cut outside a packet's path (by Sweep or ReplaceRules), with the resets to emit:
/// <see cref="ToTun"/> is written to the local TUN, <see cref="ToPeer"/> is encrypted and sent to <see cref="Peer"/>.
/// Either is null when there is nothing to reset (UDP, ICMP, or a TCP flow already closed).
/// </summary>
internal sealed class FilterCut
{
    public FilterCut(WgKey peer, FilterReason reason, byte[]? toTun, byte[]? toPeer)
    {
        Peer = peer;
        Reason = reason;
        ToTun = toTun;
        ToPeer = toPeer;
    }

    public WgKey Peer { get; }

    /// <summary><see cref="FilterReason.Expired"/> or <see cref="FilterReason.Revoked"/>.</summary>
    public FilterReason Reason { get; }

    public byte[]? ToTun { get; }

    public byte[]? ToPeer { get; }
}
