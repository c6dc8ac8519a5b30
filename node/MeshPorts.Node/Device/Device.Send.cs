using System.Buffers;
using MeshPorts.Node.Filter;
using MeshPorts.Node.Packets;
using MeshPorts.WireGuard;

namespace MeshPorts.Node.Device;

internal sealed partial class Device
{
    // TUN -> cryptokey routing -> encrypt -> UDP. One thread, so each peer's packets leave in order.
    private void TunReadLoop()
    {
        var slot = SlotSize;
        var batch = _options.BatchSize;
        var packets = ArrayPool<byte>.Shared.Rent(slot * batch);
        var lengths = new int[batch];
        var datagram = ArrayPool<byte>.Shared.Rent(slot + WireGuardEngine.MessageOverhead + 16);
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

                for (var i = 0; i < count; i++)
                {
                    SendPacket(packets.AsSpan(i * slot, lengths[i]), datagram, resets);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packets);
            ArrayPool<byte>.Shared.Return(datagram);
        }
    }

    private void SendPacket(ReadOnlySpan<byte> packet, Span<byte> datagram, FilterResets resets)
    {
        var destination = IpPacket.Destination(packet);
        if (destination.IsEmpty)
        {
            _counters.Drop(DeviceDrop.MalformedOutbound);
            return;
        }

        var peer = _routes.Lookup(destination);
        if (peer is null)
        {
            _counters.Drop(DeviceDrop.NoRoute);
            return;
        }

        if (_filter is { } filter)
        {
            var verdict = filter.Outbound(IdentityOf(peer), packet, resets.ToTun, resets.ToPeer);
            if (!verdict.IsAllowed)
            {
                _counters.Drop(DeviceDrop.FilteredOutbound);
                EmitResets(peer, verdict, resets, datagram);
                return;
            }
        }

        var result = _engine.ProcessOutbound(peer, packet, datagram, this);
        if (result.Action == OutboundAction.Send)
        {
            SendUdp(datagram[..result.Length], result.Endpoint);
        }
    }
}
