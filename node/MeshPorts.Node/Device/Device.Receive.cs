using System.Buffers;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Io;
using MeshPorts.Node.Packets;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

internal sealed partial class Device
{
    private const byte HandshakeInitiationType = 1;

    // A coalesced UDP receive holds up to 64 datagrams; room for several of them per call.
    private const int ReceivedPerCall = 512;

    private long _loadWindowStart;
    private int _loadWindowInitiations;
    private long _underLoadUntil;

    // UDP -> decrypt -> source check -> TUN. One thread per socket; it ends when the socket closes.
    // Decrypted packets collect in slots and go to the TUN a batch at a time, so it can merge them.
    private void UdpReadLoop(IUdpTransport udp)
    {
        var slot = SlotSize;
        var batch = _options.BatchSize;
        var received = new ReceivedDatagram[ReceivedPerCall];
        var plaintext = ArrayPool<byte>.Shared.Rent(slot * batch);
        var lengths = new int[batch];
        var resets = new FilterResets();
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var count = udp.ReceiveBatch(received);
                if (count <= 0)
                {
                    return;
                }

                var buffer = udp.ReceiveBuffer;
                var ready = 0;
                for (var i = 0; i < count; i++)
                {
                    ref readonly var datagram = ref received[i];
                    var bytes = buffer.Slice(datagram.Offset, datagram.Length);
                    if (RelayEndpoints.IsVirtual(datagram.Source))
                    {
                        _counters.Drop(DeviceDrop.VirtualSourceOnSocket);
                        continue;
                    }

                    var kind = UnderlayDemux.Classify(bytes);
                    if (kind != UnderlayKind.WireGuard)
                    {
                        DispatchUnderlay(kind, bytes, datagram.Source);
                        continue;
                    }

                    var length = OpenDatagram(bytes, datagram.Source, plaintext.AsSpan(ready * slot, slot), resets);
                    if (length > 0)
                    {
                        lengths[ready++] = length;
                    }

                    if (ready == batch)
                    {
                        WriteBatch(plaintext, slot, lengths);
                        ready = 0;
                    }
                }

                if (ready > 0)
                {
                    WriteBatch(plaintext, slot, lengths.AsSpan(0, ready));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plaintext);
        }
    }

    // Decrypts one datagram into plaintext and checks the packet may enter; returns its length, or 0
    // when nothing is to be written (a handshake message, a drop, a filtered packet). relayedFrom: the
    // node the relay says sent it, whose packets alone it may carry.
    private int OpenDatagram(ReadOnlySpan<byte> datagram, in PeerEndpoint source, Span<byte> plaintext, FilterResets resets, string? relayedFrom = null)
    {
        if (!datagram.IsEmpty && datagram[0] == HandshakeInitiationType)
        {
            TrackHandshakeLoad();
        }

        var result = _engine.ProcessInbound(datagram, source, plaintext, this);
        if (result.Action != InboundAction.WriteToTun || result.Peer is null)
        {
            return 0;
        }

        if (relayedFrom is not null && (result.Peer.DeviceState is not MeshPeerState mesh || !string.Equals(mesh.NodeId, relayedFrom, StringComparison.Ordinal)))
        {
            _counters.Drop(DeviceDrop.RelayedFromNonPeer);
            return 0;
        }

        if (!IpHeader.TryReadPacket(plaintext[..result.Length], out var ip))
        {
            _counters.Drop(DeviceDrop.MalformedInbound);
            return 0;
        }

        var packet = ip.Packet;

        // Cryptokey routing, inbound half: the peer may only speak for the addresses it is allowed.
        if (!ReferenceEquals(_routes.Lookup(ip.Source), result.Peer))
        {
            _counters.Drop(DeviceDrop.SourceNotAllowed);
            return 0;
        }

        if (_filter is { } filter)
        {
            var verdict = filter.Inbound(IdentityOf(result.Peer), packet, resets.ToTun, resets.ToPeer);
            if (!verdict.IsAllowed)
            {
                _counters.Drop(DeviceDrop.FilteredInbound);
                EmitResets(result.Peer, verdict, resets, resets.Datagram);
                return 0;
            }
        }

        return packet.Length;
    }

    private void WriteBatch(Span<byte> plaintext, int slot, ReadOnlySpan<int> lengths)
    {
        var written = _tun.WriteBatch(plaintext, slot, lengths);
        for (var i = written; i < lengths.Length; i++)
        {
            _counters.Drop(DeviceDrop.TunWriteFailed);
        }
    }

    // Counts initiations per second; past the threshold the engine demands cookies for a second.
    private void TrackHandshakeLoad()
    {
        var now = Time.GetTimestamp();
        var second = Time.TimestampFrequency;
        if (now - _loadWindowStart >= second)
        {
            _loadWindowStart = now;
            _loadWindowInitiations = 0;
        }

        if (++_loadWindowInitiations > _options.UnderLoadHandshakesPerSecond)
        {
            if (!_engine.UnderLoad)
            {
                DeviceLog.UnderLoad(_logger);
            }

            _underLoadUntil = now + second;
            _engine.UnderLoad = true;
        }
    }
}
