using MeshPorts.Node.Filter;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Device;

internal sealed partial class Device
{
    private readonly PacketFilter? _filter;

    // For resets sent from configuration paths; used only with _configLock held.
    private readonly byte[] _configScratch = new byte[PacketFilter.ResetBufferSize + WireGuardEngine.MessageOverhead + 16];

    /// <summary>The stateful filter in the data path, or null for bare WireGuard (<c>wg</c> mode).</summary>
    public PacketFilter? Filter => _filter;

    /// <summary>
    /// Who the filter sees: a mesh peer's stable identity (it survives key rotation, so flows do), or
    /// the public key of a peer configured through the UAPI.
    /// </summary>
    private static WgKey IdentityOf(Peer peer) => peer.DeviceState is MeshPeerState mesh ? mesh.Identity : peer.PublicKey;

    /// <summary>Writes the resets of a Cut verdict: one to the local application, one encrypted to the peer.</summary>
    private void EmitResets(Peer peer, FilterVerdict verdict, FilterResets resets, Span<byte> datagram)
    {
        if (verdict.TunResetLength > 0 && !_tun.Write(resets.ToTun.AsSpan(0, verdict.TunResetLength)))
        {
            _counters.Drop(DeviceDrop.TunWriteFailed);
        }

        if (verdict.PeerResetLength > 0)
        {
            SendToPeer(peer, resets.ToPeer.AsSpan(0, verdict.PeerResetLength), datagram);
        }
    }

    /// <summary>Emits the resets of a flow cut outside the packet path (sweep, revocation, peer removal).</summary>
    private void EmitCut(FilterCut cut, Peer? peer, Span<byte> datagram)
    {
        if (cut.ToTun is { } toTun && !_tun.Write(toTun))
        {
            _counters.Drop(DeviceDrop.TunWriteFailed);
        }

        if (cut.ToPeer is { } toPeer && peer is not null)
        {
            SendToPeer(peer, toPeer, datagram);
        }
    }

    private void SendToPeer(Peer peer, ReadOnlySpan<byte> packet, Span<byte> datagram)
    {
        var result = _engine.ProcessOutbound(peer, packet, datagram, this);
        if (result.Action == OutboundAction.Send)
        {
            SendUdp(datagram[..result.Length], result.Endpoint);
        }
    }

    /// <summary>Called by the timer thread: cuts flows whose grant ended, even idle ones, on this node's clock.</summary>
    private void SweepFilter()
    {
        if (_filter is not { } filter)
        {
            return;
        }

        var cuts = filter.Sweep();
        if (cuts.Count == 0)
        {
            return;
        }

        lock (_configLock)
        {
            foreach (var cut in cuts)
            {
                EmitCut(cut, FindByIdentity(cut.Peer), _configScratch);
            }
        }
    }

    // Called with _configLock held.
    private Peer? FindByIdentity(in WgKey identity)
    {
        if (_meshPeersByIdentity.TryGetValue(identity, out var meshPeer))
        {
            return meshPeer;
        }

        return _engine.TryGetPeer(identity, out var peer) ? peer : null;
    }
}
