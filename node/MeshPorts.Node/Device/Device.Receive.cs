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

    private long _loadWindowStart;
    private int _loadWindowInitiations;
    private long _underLoadUntil;

    // UDP -> decrypt -> source check -> TUN. One thread per socket; it ends when the socket closes.
    private void UdpReadLoop(IUdpTransport udp)
    {
        var slot = SlotSize;
        var batch = _options.BatchSize;
        var datagrams = ArrayPool<byte>.Shared.Rent(slot * batch);
        var lengths = new int[batch];
        var sources = new PeerEndpoint[batch];
        var plaintext = ArrayPool<byte>.Shared.Rent(slot);
        var resets = new FilterResets();
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var count = udp.ReceiveBatch(datagrams.AsSpan(0, slot * batch), slot, lengths, sources);
                if (count <= 0)
                {
                    return;
                }

                for (var i = 0; i < count; i++)
                {
                    ReceiveDatagram(datagrams.AsSpan(i * slot, lengths[i]), sources[i], plaintext, resets);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(datagrams);
            ArrayPool<byte>.Shared.Return(plaintext);
        }
    }

    private void ReceiveDatagram(ReadOnlySpan<byte> datagram, in PeerEndpoint source, Span<byte> plaintext, FilterResets resets)
    {
        if (!datagram.IsEmpty && datagram[0] == HandshakeInitiationType)
        {
            TrackHandshakeLoad();
        }

        var result = _engine.ProcessInbound(datagram, source, plaintext, this);
        if (result.Action != InboundAction.WriteToTun || result.Peer is null)
        {
            return;
        }

        var packet = plaintext[..result.Length];
        var length = IpPacket.DeclaredLength(packet);
        if (length < 0)
        {
            _counters.Drop(DeviceDrop.MalformedInbound);
            return;
        }

        packet = packet[..length];

        // Cryptokey routing, inbound half: the peer may only speak for the addresses it is allowed.
        if (!ReferenceEquals(_routes.Lookup(IpPacket.Source(packet)), result.Peer))
        {
            _counters.Drop(DeviceDrop.SourceNotAllowed);
            return;
        }

        if (_filter is { } filter)
        {
            var verdict = filter.Inbound(IdentityOf(result.Peer), packet, resets.ToTun, resets.ToPeer);
            if (!verdict.IsAllowed)
            {
                _counters.Drop(DeviceDrop.FilteredInbound);
                EmitResets(result.Peer, verdict, resets, resets.Datagram);
                return;
            }
        }

        if (!_tun.Write(packet))
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
