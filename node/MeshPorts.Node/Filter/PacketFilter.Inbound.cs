using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

internal sealed partial class PacketFilter
{
    /// <summary>
    /// Judges a decrypted packet from <paramref name="peer"/> before it is written to the TUN. On
    /// <see cref="FilterAction.Cut"/>, write the verdict's resets: the TUN buffer's to the TUN, the peer
    /// buffer's to the peer. Both buffers should be <see cref="ResetBufferSize"/> bytes. Never throws on
    /// packet contents.
    /// </summary>
    public FilterVerdict Inbound(in WgKey peer, ReadOnlySpan<byte> packet, Span<byte> tunReset, Span<byte> peerReset)
    {
        var reason = ParsedPacket.Parse(packet, out var p);
        if (reason != FilterReason.None)
        {
            return Count(FilterVerdict.Drop(reason));
        }

        // Before any flow lookup, so neither a grant, nor a flow this node opened, nor an ICMP error
        // lets a peer reach the host's other addresses or what the host routes to.
        if (!IsForThisNode(p))
        {
            return Count(FilterVerdict.Drop(FilterReason.NotForThisNode));
        }

        var now = NowTicks;
        if (p.IsIcmp && p.IcmpMessage == IcmpKind.Error)
        {
            return Count(InboundIcmpError(peer, p, now));
        }

        var key = FlowKey.Inbound(p);
        if (_flows.TryGetValue(key, out var flow))
        {
            var verdict = InboundExisting(flow, peer, p, now, tunReset, peerReset, out var reopen);
            if (!reopen)
            {
                return Count(verdict);
            }

            Remove(flow);
        }

        return Count(OpenInbound(key, peer, p, now, tunReset, peerReset));
    }

    private FilterVerdict OpenInbound(in FlowKey key, in WgKey peer, in ParsedPacket p, long now, Span<byte> tunReset, Span<byte> peerReset)
    {
        var ruleProtocol = p.RuleProtocol;
        if (ruleProtocol is null)
        {
            Denied.Record(peer, p, WallTicks);
            return FilterVerdict.Drop(FilterReason.NotAllowed);
        }

        if (!OpensFlow(p))
        {
            return FilterVerdict.Drop(FilterReason.Unsolicited);
        }

        var admitter = FindAdmitter(Volatile.Read(ref _rules), peer, p.IsIPv6, p.Protocol, p.DestinationPort, p.Source, now);
        if (admitter is null)
        {
            Denied.Record(peer, p, WallTicks);
            return FilterVerdict.Drop(FilterReason.NotAllowed);
        }

        if (!TryReserveFlow())
        {
            return FilterVerdict.Drop(FilterReason.TableFull);
        }

        var flow = new Flow(key, peer, FlowOrigin.Inbound, admitter, now, midStream: false);
        flow.Observe(fromLocal: false, p, now);
        if (_flows.TryAdd(key, flow))
        {
            Counters.CountCreated();
            return FilterVerdict.Allowed;
        }

        // Another thread created the flow first; judge the packet as part of it.
        ReleaseFlow();
        return _flows.TryGetValue(key, out var existing)
            ? InboundExisting(existing, peer, p, now, tunReset, peerReset, out _)
            : FilterVerdict.Drop(FilterReason.Unsolicited);
    }

    /// <summary>The packets that may start an inbound flow: TCP SYN, any UDP datagram, an echo request.</summary>
    private static bool OpensFlow(in ParsedPacket p) => p.RuleProtocol switch
    {
        FilterProtocol.Tcp => p.IsTcpOpen,
        FilterProtocol.Udp => true,
        FilterProtocol.Icmp => p.IcmpMessage == IcmpKind.EchoRequest,
        _ => false,
    };

    private FilterVerdict InboundExisting(Flow flow, in WgKey peer, in ParsedPacket p, long now, Span<byte> tunReset, Span<byte> peerReset, out bool reopen)
    {
        reopen = false;
        lock (flow)
        {
            if (flow.Peer != peer)
            {
                return FilterVerdict.Drop(FilterReason.PeerMismatch);
            }

            if (flow.IsCut)
            {
                // A new grant re-admits the same 4-tuple (a client that kept its UDP socket, say); without
                // one the tombstone stays, so the local end's replies cannot reopen it as return traffic.
                if (OpensFlow(p) && FindAdmitter(Volatile.Read(ref _rules), peer, p.IsIPv6, p.Protocol, p.DestinationPort, p.Source, now) is not null)
                {
                    reopen = true;
                    return default;
                }

                flow.LastSeenTicks = now;
                var length = WriteReplyReset(p, peerReset);
                return length > 0 ? FilterVerdict.Cut(FilterReason.FlowCut, 0, length) : FilterVerdict.Drop(FilterReason.FlowCut);
            }

            if (p.IsTcpOpen && flow.TcpState == FlowTcpState.Closed)
            {
                // A new connection on a finished 4-tuple must be judged afresh.
                reopen = true;
                return default;
            }

            var end = CheckAdmission(flow, now);
            if (end != FilterReason.None)
            {
                CutFlow(flow, end, tunReset, peerReset, out var tunLength, out var peerLength);
                return FilterVerdict.Cut(end, tunLength, peerLength);
            }

            flow.Observe(fromLocal: false, p, now);
            return FilterVerdict.Allowed;
        }
    }

    // An ICMP error is as welcome as the flow it quotes (path MTU discovery needs these to get through).
    private FilterVerdict InboundIcmpError(in WgKey peer, in ParsedPacket p, long now)
    {
        if (!p.HasEmbedded || !_flows.TryGetValue(FlowKey.QuotedInInbound(p), out var flow))
        {
            return FilterVerdict.Drop(FilterReason.Unsolicited);
        }

        lock (flow)
        {
            if (flow.Peer != peer)
            {
                return FilterVerdict.Drop(FilterReason.PeerMismatch);
            }

            if (flow.IsCut)
            {
                return FilterVerdict.Drop(FilterReason.FlowCut);
            }

            var end = CheckAdmission(flow, now);
            return end == FilterReason.None ? FilterVerdict.Allowed : FilterVerdict.Drop(end);
        }
    }
}
