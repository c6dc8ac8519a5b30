using MeshPorts.Node.Packets;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

internal sealed partial class PacketFilter
{
    /// <summary>
    /// Judges a packet read from the TUN on its way to <paramref name="peer"/>. It opens or refreshes the
    /// flow so the peer's replies are let back in; packets of a cut inbound flow are refused (with a reset
    /// for the local application, written to the TUN buffer). Never throws on packet contents.
    /// </summary>
    public FilterVerdict Outbound(in WgKey peer, ReadOnlySpan<byte> packet, Span<byte> tunReset, Span<byte> peerReset)
    {
        var reason = ParsedPacket.Parse(packet, out var p);
        if (reason != FilterReason.None)
        {
            return Count(FilterVerdict.Drop(reason));
        }

        // The local stack's own ICMP errors and unexpected messages need no state and open nothing.
        if (p.IsIcmp && p.IcmpMessage is IcmpKind.Error or IcmpKind.Other)
        {
            return Count(FilterVerdict.Allowed);
        }

        var now = NowTicks;
        var key = FlowKey.Outbound(p);
        if (_flows.TryGetValue(key, out var flow))
        {
            var verdict = OutboundExisting(flow, peer, p, now, tunReset, peerReset, out var reopen);
            if (!reopen)
            {
                return Count(verdict);
            }

            Remove(flow);
        }

        // Replies of the local stack to something it did not keep state for open no flow either:
        // a reset, or an echo reply whose request has idled out.
        if ((p.IsTcp && (p.TcpFlags & IpProtocol.TcpRst) != 0) || (p.IsIcmp && p.IcmpMessage == IcmpKind.EchoReply))
        {
            return Count(FilterVerdict.Allowed);
        }

        return Count(OpenOutbound(key, peer, p, now, tunReset, peerReset));
    }

    private FilterVerdict OpenOutbound(in FlowKey key, in WgKey peer, in ParsedPacket p, long now, Span<byte> tunReset, Span<byte> peerReset)
    {
        if (!TryReserveFlow())
        {
            return FilterVerdict.Drop(FilterReason.TableFull);
        }

        // A TCP segment other than SYN means the flow idled out of the table; pick it up established,
        // as conntrack does, so a long-quiet outbound connection keeps working.
        var flow = new Flow(key, peer, FlowOrigin.Outbound, admitter: null, now, midStream: p.IsTcp && !p.IsTcpOpen);
        flow.Observe(fromLocal: true, p, now);
        if (_flows.TryAdd(key, flow))
        {
            Counters.CountCreated();
            return FilterVerdict.Allowed;
        }

        ReleaseFlow();
        return _flows.TryGetValue(key, out var existing)
            ? OutboundExisting(existing, peer, p, now, tunReset, peerReset, out _)
            : FilterVerdict.Drop(FilterReason.Unsolicited);
    }

    private FilterVerdict OutboundExisting(Flow flow, in WgKey peer, in ParsedPacket p, long now, Span<byte> tunReset, Span<byte> peerReset, out bool reopen)
    {
        reopen = false;
        lock (flow)
        {
            if (flow.Peer != peer)
            {
                // Routing moved the remote address to another peer: a flow this node opened follows it,
                // a flow a peer opened stays bound to the identity its rule named.
                if (flow.Origin != FlowOrigin.Outbound || flow.IsCut)
                {
                    return FilterVerdict.Drop(FilterReason.PeerMismatch);
                }

                flow.Peer = peer;
            }

            if (flow.IsCut && p.IsTcpOpen)
            {
                // A SYN from this node is a new connection it opens; listening services never send one.
                reopen = true;
                return default;
            }

            if (flow.IsCut)
            {
                flow.LastSeenTicks = now;
                var length = WriteReplyReset(p, tunReset);
                return length > 0 ? FilterVerdict.Cut(FilterReason.FlowCut, length, 0) : FilterVerdict.Drop(FilterReason.FlowCut);
            }

            if (p.IsTcpOpen && flow.TcpState == FlowTcpState.Closed)
            {
                reopen = true;
                return default;
            }

            var end = CheckAdmission(flow, now);
            if (end != FilterReason.None)
            {
                CutFlow(flow, end, tunReset, peerReset, out var tunLength, out var peerLength);
                return FilterVerdict.Cut(end, tunLength, peerLength);
            }

            flow.Observe(fromLocal: true, p, now);
            return FilterVerdict.Allowed;
        }
    }
}
