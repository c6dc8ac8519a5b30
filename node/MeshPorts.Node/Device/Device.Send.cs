using System.Buffers;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Packets;
using MeshPorts.WireGuard;
using MeshPorts.WireGuard.Net;

namespace MeshPorts.Node.Device;

internal sealed partial class Device
{
    // TUN -> cryptokey routing -> encrypt -> UDP. One thread, so each peer's packets leave in order:
    // a batch read from the TUN is encrypted slot by slot and handed to the socket as one batch.
    private void TunReadLoop()
    {
        var slot = SlotSize;
        var batch = _options.BatchSize;
        var packets = ArrayPool<byte>.Shared.Rent(slot * batch);
        var lengths = new int[batch];
        var datagrams = ArrayPool<byte>.Shared.Rent(slot * batch);
        var datagramLengths = new int[batch];
        var destinations = new PeerEndpoint[batch];
        var resets = new FilterResets();
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                int count;
                try
                {
                    count = _tun.ReadBatch(packets.AsSpan(0, slot * batch), slot, lengths);
                }
                catch (IOException ex) when (!_stopping.IsCancellationRequested)
                {
                    // EBADFD after `ip link del`: the interface is gone, which is how wg-quick says stop.
                    DeviceLog.TunGone(_logger, _tun.Name, ex.Message);
                    return;
                }

                if (count <= 0)
                {
                    return;
                }

                var ready = 0;
                for (var i = 0; i < count; i++)
                {
                    var length = SealPacket(packets.AsSpan(i * slot, lengths[i]), datagrams.AsSpan(ready * slot, slot), resets, out destinations[ready]);
                    if (length > 0)
                    {
                        datagramLengths[ready++] = length;
                    }
                }

                if (ready > 0)
                {
                    SendBatch(datagrams.AsSpan(0, ready * slot), slot, datagramLengths.AsSpan(0, ready), destinations.AsSpan(0, ready));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packets);
            ArrayPool<byte>.Shared.Return(datagrams);
        }
    }

    // Routes, filters and encrypts one packet into datagram; returns the datagram's length, or 0 when
    // nothing is to be sent now (no route, filtered, or queued while a handshake runs).
    private int SealPacket(ReadOnlySpan<byte> packet, Span<byte> datagram, FilterResets resets, out PeerEndpoint destination)
    {
        destination = default;
        if (!IpHeader.TryRead(packet, out var ip))
        {
            _counters.Drop(DeviceDrop.MalformedOutbound);
            return 0;
        }

        var peer = _routes.Lookup(ip.Destination);
        if (peer is null)
        {
            _counters.Drop(DeviceDrop.NoRoute);
            return 0;
        }

        if (_filter is { } filter)
        {
            var verdict = filter.Outbound(IdentityOf(peer), packet, resets.ToTun, resets.ToPeer);
            if (!verdict.IsAllowed)
            {
                _counters.Drop(DeviceDrop.FilteredOutbound);
                EmitResets(peer, verdict, resets, resets.Datagram);
                return 0;
            }
        }

        var result = _engine.ProcessOutbound(peer, packet, datagram, this);
        if (result.Action != OutboundAction.Send || !result.Endpoint.IsSet)
        {
            return 0;
        }

        destination = result.Endpoint;
        return result.Length;
    }

    // Datagrams to relayed peers (virtual endpoints) go to the relay client in their place in the batch; the
    // runs between them go to the socket as batches, so each peer's datagrams leave in order.
    private void SendBatch(ReadOnlySpan<byte> datagrams, int slot, ReadOnlySpan<int> lengths, ReadOnlySpan<PeerEndpoint> destinations)
    {
        var start = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            if (RelayEndpoints.IsVirtual(destinations[i]))
            {
                SendUdpRun(datagrams, slot, lengths[start..i], destinations[start..i], start);
                SendRelayed(datagrams.Slice(i * slot, lengths[i]), destinations[i]);
                start = i + 1;
            }
        }

        SendUdpRun(datagrams, slot, lengths[start..], destinations[start..], start);
    }

    private void SendUdpRun(ReadOnlySpan<byte> datagrams, int slot, ReadOnlySpan<int> lengths, ReadOnlySpan<PeerEndpoint> destinations, int first)
    {
        if (lengths.IsEmpty)
        {
            return;
        }

        var udp = _udp;
        var sent = udp?.SendBatch(datagrams[(first * slot)..], slot, lengths, destinations) ?? 0;
        for (var i = sent; i < lengths.Length; i++)
        {
            _counters.Drop(DeviceDrop.UdpSendFailed);
        }
    }
}
