using MeshPorts.Node.Packets;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

/// <summary>
/// One tracked flow. Mutable state is guarded by locking the flow itself: the receive thread, the send
/// thread and the sweeper may touch the same flow, but different flows never contend.
/// </summary>
internal sealed class Flow
{
    private uint _localNext;
    private uint _remoteNext;
    private uint _localAck;
    private uint _remoteAck;
    private bool _hasLocalNext;
    private bool _hasRemoteNext;
    private bool _hasLocalAck;
    private bool _hasRemoteAck;
    private bool _localFin;
    private bool _remoteFin;

    public Flow(FlowKey key, WgKey peer, FlowOrigin origin, RuleSlot? admitter, long nowTicks, bool midStream)
    {
        Key = key;
        Peer = peer;
        Origin = origin;
        Admitter = admitter;
        LastSeenTicks = nowTicks;
        TcpState = midStream ? FlowTcpState.Established : FlowTcpState.HalfOpen;
    }

    public FlowKey Key { get; }

    public FlowOrigin Origin { get; }

    /// <summary>The peer the flow belongs to; an outbound flow follows its remote address to a new peer.</summary>
    public WgKey Peer { get; set; }

    /// <summary>What admitted an inbound flow; null for flows this node opened.</summary>
    public RuleSlot? Admitter { get; set; }

    public long LastSeenTicks { get; set; }

    public FlowTcpState TcpState { get; private set; }

    /// <summary>Once cut, a flow stays as a tombstone until idle so its stragglers are refused, not re-admitted.</summary>
    public bool IsCut { get; private set; }

    public FilterReason CutReason { get; private set; }

    public bool IsTcp => Key.Protocol == IpProtocol.Tcp;

    public void MarkCut(FilterReason reason)
    {
        IsCut = true;
        CutReason = reason;
    }

    /// <summary>Follows the packet's effect on the sequence spaces and the coarse TCP state.</summary>
    public void Observe(bool fromLocal, in ParsedPacket p, long nowTicks)
    {
        LastSeenTicks = nowTicks;
        if (!IsTcp)
        {
            return;
        }

        var flags = p.TcpFlags;
        if ((flags & IpProtocol.TcpRst) != 0)
        {
            TcpState = FlowTcpState.Closed;
            return;
        }

        // SYN and FIN each take one sequence number (RFC 793 section 3.3).
        var end = p.Sequence + (uint)p.PayloadLength + ((flags & IpProtocol.TcpSyn) != 0 ? 1u : 0u) + ((flags & IpProtocol.TcpFin) != 0 ? 1u : 0u);
        var hasAck = (flags & IpProtocol.TcpAck) != 0;
        var fin = (flags & IpProtocol.TcpFin) != 0;
        if (fromLocal)
        {
            Advance(ref _localNext, ref _hasLocalNext, end);
            if (hasAck)
            {
                Advance(ref _localAck, ref _hasLocalAck, p.Acknowledgment);
            }

            _localFin |= fin;
        }
        else
        {
            Advance(ref _remoteNext, ref _hasRemoteNext, end);
            if (hasAck)
            {
                Advance(ref _remoteAck, ref _hasRemoteAck, p.Acknowledgment);
            }

            _remoteFin |= fin;
        }

        var fromOpener = fromLocal == (Origin == FlowOrigin.Outbound);
        if (TcpState == FlowTcpState.HalfOpen && !fromOpener)
        {
            TcpState = FlowTcpState.Established;
        }

        if (_localFin && _remoteFin)
        {
            TcpState = FlowTcpState.Closed;
        }
        else if ((_localFin || _remoteFin) && TcpState != FlowTcpState.Closed)
        {
            TcpState = FlowTcpState.Closing;
        }
    }

    /// <summary>
    /// A reset for the local stack, as if from the remote end: its sequence number is the local side's
    /// RCV.NXT as far as we saw (the remote's next sequence number, or the local's latest ACK), which
    /// RFC 5961 requires to match exactly. Returns 0 when there is nothing to reset.
    /// </summary>
    public int WriteResetToLocal(Span<byte> buffer)
    {
        if (!IsTcp || TcpState == FlowTcpState.Closed ||
            !TryLatest(_remoteNext, _hasRemoteNext, _localAck, _hasLocalAck, out var sequence))
        {
            return 0;
        }

        return TcpReset.Write(buffer, Key.IsIPv6, Key.Remote, Key.RemotePort, Key.Local, Key.LocalPort, sequence, _localNext, _hasLocalNext);
    }

    /// <summary>
    /// A reset for the remote peer, as if from the local service. If the local service never answered,
    /// the remote is in SYN-SENT and accepts a reset only with an ACK of its SYN (RFC 793 page 66), which
    /// this sends whenever the remote's next sequence number is known.
    /// </summary>
    public int WriteResetToRemote(Span<byte> buffer)
    {
        if (!IsTcp || TcpState == FlowTcpState.Closed)
        {
            return 0;
        }

        var hasSequence = TryLatest(_localNext, _hasLocalNext, _remoteAck, _hasRemoteAck, out var sequence);
        if (!hasSequence && !_hasRemoteNext)
        {
            return 0;
        }

        return TcpReset.Write(buffer, Key.IsIPv6, Key.Local, Key.LocalPort, Key.Remote, Key.RemotePort, sequence, _remoteNext, _hasRemoteNext);
    }

    private static void Advance(ref uint current, ref bool known, uint value)
    {
        // Serial-number comparison (RFC 1982): later in the 32-bit sequence space wins, across wraparound.
        if (!known || (int)(value - current) > 0)
        {
            current = value;
            known = true;
        }
    }

    private static bool TryLatest(uint a, bool hasA, uint b, bool hasB, out uint latest)
    {
        latest = hasA && hasB ? ((int)(b - a) > 0 ? b : a) : hasA ? a : b;
        return hasA || hasB;
    }
}
