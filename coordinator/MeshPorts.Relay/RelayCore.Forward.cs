using System.Net;
using Google.Protobuf;
using MeshPorts.Contracts.Relay;

namespace MeshPorts.Relay;

public sealed partial class RelayCore
{
    /// <summary>A Send frame from <paramref name="from"/>'s TLS stream.</summary>
    public void Send(RelaySession from, Datagram? datagram)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (datagram is null || datagram.Payload.Length is 0 or > RelayLimits.MaxPayload || string.IsNullOrEmpty(datagram.PeerNodeId))
        {
            Counters.Dropped(RelayDropReason.Malformed);
            return;
        }

        UdpOut udp;
        lock (_lock)
        {
            // A node sends on TLS only when its UDP session looks dead to it: from now on it is answered on TLS
            // too, until a good UDP frame from it says UDP works again.
            from.TlsSentMs = NowMs;
            udp = ForwardLocked(from, datagram.PeerNodeId, datagram.Payload.Span, UdpSender);
        }

        udp.Send();
    }

    /// <summary>
    /// A → B: rate limits on A first (cheapest), then both tickets, then delivery to B's UDP address when its
    /// last good frame is under 10 s old, came after B's last TLS send, and a socket is at hand, else to B's
    /// TLS stream. One datagram in is
    /// at most one out with the same payload.
    /// </summary>
    private UdpOut ForwardLocked(RelaySession from, string peerNodeId, ReadOnlySpan<byte> payload, IRelayUdpSender? udp)
    {
        var now = NowMs;
        if (from.IsEnded)
        {
            Counters.Dropped(RelayDropReason.UnknownSession);
            return default;
        }

        if (from.NotAfterUnixMs <= now)
        {
            EndLocked(from, Expired);
            Counters.Dropped(RelayDropReason.UnknownSession);
            return default;
        }

        if (!from.Datagrams.Has(1, now) || !from.Bytes.Has(payload.Length, now))
        {
            Counters.Dropped(RelayDropReason.RateLimited);
            return default;
        }

        from.Datagrams.Take(1);
        from.Bytes.Take(payload.Length);
        if (!from.Peers.Contains(peerNodeId))
        {
            Counters.Dropped(RelayDropReason.NotAllowed);
            return default;
        }

        if (!_byNode.TryGetValue(peerNodeId, out var to))
        {
            Counters.Dropped(RelayDropReason.NoDestination);
            return default;
        }

        if (to.NotAfterUnixMs <= now)
        {
            EndLocked(to, Expired);
            Counters.Dropped(RelayDropReason.NoDestination);
            return default;
        }

        if (!to.Peers.Contains(from.NodeId))
        {
            Counters.Dropped(RelayDropReason.NotAllowed);
            return default;
        }

        if (udp is not null && to.UdpAddress is { } address && now - to.UdpSeenMs <= (long)RelayLimits.UdpFreshness.TotalMilliseconds
            && to.UdpSeenMs > to.TlsSentMs)
        {
            var frame = new byte[RelayUdpFrame.HeaderSize + from.NodeIdBytes.Length + payload.Length + RelayUdpFrame.TagSize];
            RelayUdpFrame.Write(frame, to.SessionId, ++to.SendCounter, RelayFrameKind.Datagram, from.NodeIdBytes, payload, to.UdpKey, RelayDirection.FromRelay);
            Counters.Forwarded(RelayTransport.Udp, payload.Length);
            return new UdpOut(udp, frame, address);
        }

        if (!to.TryQueue(new Datagram { PeerNodeId = from.NodeId, Payload = ByteString.CopyFrom(payload) }))
        {
            Counters.Dropped(RelayDropReason.NoDestination);
            return default;
        }

        Counters.Forwarded(RelayTransport.Tls, payload.Length);
        return default;
    }

    /// <summary>A frame to send once the lock is released.</summary>
    private readonly record struct UdpOut(IRelayUdpSender? Sender, byte[]? Frame, IPEndPoint? To)
    {
        public void Send()
        {
            if (Sender is not null && Frame is not null && To is not null)
            {
                Sender.Send(Frame, To);
            }
        }
    }
}
