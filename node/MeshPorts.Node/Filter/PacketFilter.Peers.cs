using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

internal sealed partial class PacketFilter
{
    /// <summary>
    /// True while some rule or grant for <paramref name="peer"/> is active on this node's clock: the
    /// device keeps a peer configured only while this holds (or while it has flows this node opened).
    /// </summary>
    public bool HasActiveRule(in WgKey peer)
    {
        var now = NowTicks;
        foreach (var slot in Volatile.Read(ref _rules).ForPeer(peer))
        {
            if (slot.IsActive(now))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Cuts every flow of <paramref name="peer"/>, whichever side opened it, and returns the resets to
    /// emit. For when the peer itself goes (its key expired or was replaced), whatever the rules say.
    /// </summary>
    public IReadOnlyList<FilterCut> CutPeer(in WgKey peer)
    {
        var cuts = new List<FilterCut>();
        Span<byte> tun = stackalloc byte[ResetBufferSize];
        Span<byte> toPeer = stackalloc byte[ResetBufferSize];
        foreach (var (_, flow) in _flows)
        {
            lock (flow)
            {
                if (flow.IsCut || flow.Peer != peer)
                {
                    continue;
                }

                CutFlow(flow, FilterReason.Revoked, tun, toPeer, out var tunLength, out var peerLength);
                cuts.Add(new FilterCut(
                    flow.Peer,
                    FilterReason.Revoked,
                    tunLength > 0 ? tun[..tunLength].ToArray() : null,
                    peerLength > 0 ? toPeer[..peerLength].ToArray() : null));
            }
        }

        return cuts;
    }
}
