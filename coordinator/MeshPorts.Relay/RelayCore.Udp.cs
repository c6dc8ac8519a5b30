using System.Net;
using System.Text;
using MeshPorts.Contracts.Relay;

namespace MeshPorts.Relay;

public sealed partial class RelayCore
{
    /// <summary>
    /// One UDP relay frame (first byte 0xF2) from <paramref name="source"/>: layout, session, tag, replay
    /// window and ticket checked in that order, each failure dropped and counted. A good frame makes its
    /// source the node's UDP address; a keepalive is answered with a keepalive answer of the same size.
    /// </summary>
    public void HandleUdp(ReadOnlySpan<byte> frame, IPEndPoint source, IRelayUdpSender send)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(send);
        if (!RelayUdpFrame.TryReadHeader(frame, out var header) || header.Kind == RelayFrameKind.KeepaliveAnswer
            || header.PayloadLength > RelayLimits.MaxPayload || !PeerIdIsAscii(frame.Slice(header.PeerIdOffset, header.PeerIdLength)))
        {
            Counters.Dropped(RelayDropReason.Malformed);
            return;
        }

        if (source.Address.IsIPv4MappedToIPv6)
        {
            source = new IPEndPoint(source.Address.MapToIPv4(), source.Port);
        }

        UdpOut output;
        lock (_lock)
        {
            output = HandleUdpLocked(frame, header, source, send);
        }

        output.Send();
    }

    private UdpOut HandleUdpLocked(ReadOnlySpan<byte> frame, RelayFrameHeader header, IPEndPoint source, IRelayUdpSender send)
    {
        if (!_bySessionId.TryGetValue(header.SessionId, out var session))
        {
            Counters.Dropped(RelayDropReason.UnknownSession);
            return default;
        }

        if (!RelayUdpFrame.VerifyTag(frame, session.UdpKey, RelayDirection.ToRelay))
        {
            Counters.Dropped(RelayDropReason.BadTag);
            return default;
        }

        if (!session.Replay.Accept(header.Counter))
        {
            Counters.Dropped(RelayDropReason.Replay);
            return default;
        }

        var now = NowMs;
        if (session.NotAfterUnixMs <= now)
        {
            EndLocked(session, Expired);
            Counters.Dropped(RelayDropReason.UnknownSession);
            return default;
        }

        session.UdpAddress = source;
        session.UdpSeenMs = now;
        if (header.Kind == RelayFrameKind.Datagram)
        {
            var peer = Encoding.ASCII.GetString(frame.Slice(header.PeerIdOffset, header.PeerIdLength));
            return ForwardLocked(session, peer, frame.Slice(header.PayloadOffset, header.PayloadLength), send);
        }

        if (!session.Datagrams.Has(1, now))
        {
            Counters.Dropped(RelayDropReason.RateLimited);
            return default;
        }

        session.Datagrams.Take(1);
        var answer = new byte[RelayUdpFrame.HeaderSize + RelayUdpFrame.TagSize];
        RelayUdpFrame.Write(answer, session.SessionId, ++session.SendCounter, RelayFrameKind.KeepaliveAnswer, [], [], session.UdpKey, RelayDirection.FromRelay);
        return new UdpOut(send, answer, source);
    }

    private static bool PeerIdIsAscii(ReadOnlySpan<byte> id)
    {
        foreach (var b in id)
        {
            if (b is < 0x21 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }
}
