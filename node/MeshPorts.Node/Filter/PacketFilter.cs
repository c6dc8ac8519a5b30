using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MeshPorts.Node.Coordinator;
using MeshPorts.Node.Packets;
using MeshPorts.WireGuard.Keys;

namespace MeshPorts.Node.Filter;

/// <summary>
/// The node's stateful packet filter, deny by default. Inbound flows are admitted by a rule or grant
/// and remembered with it; when it ends (NotAfter, as a monotonic deadline taken when the rule arrived;
/// see <see cref="CoordinatorClock"/>), or it is removed from the rule set,
/// the flow is cut: its packets are refused and TCP is reset at both ends. Flows this node opened are
/// allowed back in. Whatever the rules say, a packet from a peer must be addressed to one of this
/// node's own overlay addresses: a peer may reach the node, never what the node can reach.
/// Pure: no IO, no threads, time from the <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Thread-safe: <see cref="Inbound"/> (receive thread), <see cref="Outbound"/> (send thread),
/// <see cref="Sweep"/> and <see cref="ReplaceRules"/> may run concurrently. Flows live in a concurrent
/// table and each flow's state is guarded by its own lock, so unrelated flows never contend. Packets of
/// known flows are judged without allocating.
/// </remarks>
internal sealed partial class PacketFilter
{
    /// <summary>The size of each reset buffer the caller passes to <see cref="Inbound"/> and <see cref="Outbound"/>.</summary>
    public const int ResetBufferSize = TcpReset.MaxLength;

    private readonly TimeProvider _time;
    private readonly CoordinatorClock _clock;
    private readonly FilterOptions _options;
    private readonly ConcurrentDictionary<FlowKey, Flow> _flows = new();
    private readonly Lock _rulesLock = new();
    private readonly Lock _sweepLock = new();
    private readonly long _tcpEstablishedIdle;
    private readonly long _tcpHalfOpenIdle;
    private readonly long _tcpClosingIdle;
    private readonly long _tcpClosedIdle;
    private readonly long _udpIdle;
    private readonly long _icmpIdle;
    private readonly long _otherIdle;
    private readonly long _idleScanInterval;
    private readonly UInt128[] _local4;
    private readonly UInt128[] _local6;
    private RuleSet _rules = RuleSet.Empty;
    private int _flowCount;
    private long _lastExpiryScanTicks = long.MinValue;
    private long _nextIdleScanTicks = long.MinValue;

    /// <param name="localAddresses">
    /// This node's overlay addresses (its IPv4 /32 and IPv6 /128): the only destinations an inbound
    /// packet may have.
    /// </param>
    /// <param name="clock">Where rule ends become monotonic deadlines; shared with the device and the agent.</param>
    public PacketFilter(TimeProvider time, IEnumerable<IPAddress> localAddresses, FilterOptions? options = null, CoordinatorClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(localAddresses);
        (_local4, _local6) = ToLocal(localAddresses);
        options ??= new FilterOptions();
        options.Validate();
        _time = time;
        _clock = clock ?? new CoordinatorClock(time);
        _options = options;
        _tcpEstablishedIdle = options.TcpEstablishedIdle.Ticks;
        _tcpHalfOpenIdle = options.TcpHalfOpenIdle.Ticks;
        _tcpClosingIdle = options.TcpClosingIdle.Ticks;
        _tcpClosedIdle = options.TcpClosedIdle.Ticks;
        _udpIdle = options.UdpIdle.Ticks;
        _icmpIdle = options.IcmpIdle.Ticks;
        _otherIdle = options.OtherIdle.Ticks;
        _idleScanInterval = options.IdleScanInterval.Ticks;
        Denied = new DeniedFlowAggregator(options.MaxDeniedGroups);
    }

    public FilterCounters Counters { get; } = new();

    public CoordinatorClock Clock => _clock;

    /// <summary>Refused flow openings grouped for the coordinator; drain it periodically.</summary>
    public DeniedFlowAggregator Denied { get; }

    /// <summary>Flows currently tracked, including tombstones of cut flows.</summary>
    public int FlowCount => Volatile.Read(ref _flowCount);

    /// <summary>The rule set now in force.</summary>
    public IReadOnlyList<FilterRule> Rules => Array.ConvertAll(Volatile.Read(ref _rules).Slots, s => s.Rule);

    // Monotonic: rule deadlines, flow idleness and scans all follow it, never the wall clock.
    private long NowTicks => _clock.NowTicks;

    // Only for what is reported to people (denied flows' first and last sighting).
    private long WallTicks => _time.GetUtcNow().UtcTicks;

    /// <summary>True when <paramref name="p"/> is addressed to one of this node's overlay addresses.</summary>
    private bool IsForThisNode(in ParsedPacket p)
    {
        foreach (var local in p.IsIPv6 ? _local6 : _local4)
        {
            if (local == p.Destination)
            {
                return true;
            }
        }

        return false;
    }

    private static (UInt128[] V4, UInt128[] V6) ToLocal(IEnumerable<IPAddress> addresses)
    {
        var v4 = new List<UInt128>();
        var v6 = new List<UInt128>();
        Span<byte> bytes = stackalloc byte[16];
        foreach (var address in addresses)
        {
            ArgumentNullException.ThrowIfNull(address, nameof(addresses));
            if (address.IsIPv4MappedToIPv6)
            {
                throw new ArgumentException($"Give {address} as a plain IPv4 address.", nameof(addresses));
            }

            if (!address.TryWriteBytes(bytes, out var written))
            {
                throw new ArgumentException($"{address} is not an IP address.", nameof(addresses));
            }

            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                v4.Add(BinaryPrimitives.ReadUInt32BigEndian(bytes[..written]));
            }
            else
            {
                v6.Add(BinaryPrimitives.ReadUInt128BigEndian(bytes[..written]));
            }
        }

        if (v4.Count + v6.Count == 0)
        {
            throw new ArgumentException("The filter needs this node's overlay addresses; without them it would admit packets to any address.", nameof(addresses));
        }

        return ([.. v4], [.. v6]);
    }

    private FilterVerdict Count(FilterVerdict verdict)
    {
        if (verdict.IsAllowed)
        {
            Counters.CountAllowed();
        }
        else
        {
            Counters.CountDenied(verdict.Reason);
        }

        return verdict;
    }

    private bool TryReserveFlow()
    {
        if (Interlocked.Increment(ref _flowCount) <= _options.MaxFlows)
        {
            return true;
        }

        Interlocked.Decrement(ref _flowCount);
        return false;
    }

    private void ReleaseFlow() => Interlocked.Decrement(ref _flowCount);

    /// <summary>Removes exactly this flow object, so a newer flow under the same key survives.</summary>
    private bool Remove(Flow flow)
    {
        if (!_flows.TryRemove(KeyValuePair.Create(flow.Key, flow)))
        {
            return false;
        }

        ReleaseFlow();
        return true;
    }

    /// <summary>
    /// None while the flow's admitter is active. When it has ended, another active rule that allows the
    /// same traffic (say a standing rule next to an ending grant) takes over; only when none does is the
    /// flow to be cut, and the reason is returned. Call with the flow locked.
    /// </summary>
    private FilterReason CheckAdmission(Flow flow, long nowTicks)
    {
        var slot = flow.Admitter;
        if (slot is null)
        {
            return FilterReason.None;
        }

        var end = slot.EndReason(nowTicks);
        if (end == FilterReason.None)
        {
            return end;
        }

        var successor = FindAdmitter(Volatile.Read(ref _rules), flow.Peer, flow.Key.IsIPv6, flow.Key.Protocol, flow.Key.LocalPort, flow.Key.Remote, nowTicks);
        if (successor is null)
        {
            return end;
        }

        flow.Admitter = successor;
        return FilterReason.None;
    }

    private static RuleSlot? FindAdmitter(RuleSet rules, in WgKey peer, bool isIPv6, byte protocol, ushort localPort, UInt128 remote, long nowTicks)
    {
        var ruleProtocol = ParsedPacket.ToRuleProtocol(isIPv6, protocol);
        if (ruleProtocol is null)
        {
            return null;
        }

        Span<byte> source = stackalloc byte[16];
        source = source[..ParsedPacket.WriteAddress(isIPv6, remote, source)];
        return ruleProtocol == FilterProtocol.Icmp
            ? rules.FindAnyActive(peer, source, nowTicks)
            : rules.FindAdmitter(peer, ruleProtocol.Value, localPort, source, nowTicks);
    }

    /// <summary>Marks the flow cut and writes the resets for both ends. Call with the flow locked.</summary>
    private void CutFlow(Flow flow, FilterReason reason, Span<byte> tunReset, Span<byte> peerReset, out int tunLength, out int peerLength)
    {
        tunLength = flow.WriteResetToLocal(tunReset);
        peerLength = flow.WriteResetToRemote(peerReset);
        flow.MarkCut(reason);
        Counters.CountCut();
    }

    /// <summary>
    /// The reset a TCP stack itself sends for a segment of an unknown connection (RFC 793 page 36): it
    /// reaches whoever still talks on a cut flow, even if the first resets were missed or not accepted.
    /// </summary>
    private static int WriteReplyReset(in ParsedPacket p, Span<byte> buffer)
    {
        if (!p.IsTcp || (p.TcpFlags & IpProtocol.TcpRst) != 0)
        {
            return 0;
        }

        if ((p.TcpFlags & IpProtocol.TcpAck) != 0)
        {
            return TcpReset.Write(buffer, p.IsIPv6, p.Destination, p.DestinationPort, p.Source, p.SourcePort, p.Acknowledgment, 0, withAck: false);
        }

        var length = p.Sequence + (uint)p.PayloadLength + ((p.TcpFlags & IpProtocol.TcpSyn) != 0 ? 1u : 0u) + ((p.TcpFlags & IpProtocol.TcpFin) != 0 ? 1u : 0u);
        return TcpReset.Write(buffer, p.IsIPv6, p.Destination, p.DestinationPort, p.Source, p.SourcePort, 0, length, withAck: true);
    }

    private long IdleTimeout(Flow flow)
    {
        if (flow.IsTcp)
        {
            return flow.IsCut ? _tcpClosingIdle : flow.TcpState switch
            {
                FlowTcpState.HalfOpen => _tcpHalfOpenIdle,
                FlowTcpState.Established => _tcpEstablishedIdle,
                FlowTcpState.Closing => _tcpClosingIdle,
                _ => _tcpClosedIdle,
            };
        }

        return flow.Key.Protocol switch
        {
            IpProtocol.Udp => _udpIdle,
            IpProtocol.Icmp or IpProtocol.Icmpv6 => _icmpIdle,
            _ => _otherIdle,
        };
    }
}
