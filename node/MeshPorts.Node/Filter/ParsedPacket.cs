using System.Buffers.Binary;
using MeshPorts.Node.Packets;

namespace MeshPorts.Node.Filter;

/// <summary>
/// The fields the filter judges by, read from an IPv4/IPv6 packet without allocating. IPv4 addresses
/// sit in the low 32 bits of the <see cref="UInt128"/>s. For ICMP echo both ports hold the identifier,
/// so echo flows are keyed like port flows.
/// </summary>
internal struct ParsedPacket
{
    // An ICMP error quotes at least the first 8 bytes of the offending packet's transport header (RFC 792).
    private const int QuotedTransportBytes = 8;

    public bool IsIPv6;
    public byte Protocol;
    public UInt128 Source;
    public UInt128 Destination;
    public ushort SourcePort;
    public ushort DestinationPort;

    public byte TcpFlags;
    public uint Sequence;
    public uint Acknowledgment;

    /// <summary>TCP payload bytes, which advance the sequence space together with SYN and FIN.</summary>
    public int PayloadLength;

    public IcmpKind IcmpMessage;

    /// <summary>For ICMP errors: the leading headers of the packet the error is about.</summary>
    public bool HasEmbedded;
    public byte EmbeddedProtocol;
    public UInt128 EmbeddedSource;
    public UInt128 EmbeddedDestination;
    public ushort EmbeddedSourcePort;
    public ushort EmbeddedDestinationPort;

    public readonly bool IsTcp => Protocol == IpProtocol.Tcp;

    public readonly bool IsIcmp => Protocol == (IsIPv6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp);

    /// <summary>A SYN without ACK: the only packet that may open a TCP flow.</summary>
    public readonly bool IsTcpOpen => IsTcp && (TcpFlags & (IpProtocol.TcpSyn | IpProtocol.TcpAck | IpProtocol.TcpRst | IpProtocol.TcpFin)) == IpProtocol.TcpSyn;

    /// <summary>The protocol as rules name it, or null for protocols no rule can open.</summary>
    public readonly FilterProtocol? RuleProtocol => ToRuleProtocol(IsIPv6, Protocol);

    public static FilterProtocol? ToRuleProtocol(bool isIPv6, byte protocol) => protocol switch
    {
        IpProtocol.Tcp => FilterProtocol.Tcp,
        IpProtocol.Udp => FilterProtocol.Udp,
        IpProtocol.Icmp when !isIPv6 => FilterProtocol.Icmp,
        IpProtocol.Icmpv6 when isIPv6 => FilterProtocol.Icmp,
        _ => null,
    };

    /// <summary>Writes an address (4 or 16 bytes) in network order; returns the byte count.</summary>
    public static int WriteAddress(bool isIPv6, UInt128 address, Span<byte> destination)
    {
        if (isIPv6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(destination, address);
            return 16;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)address);
        return 4;
    }

    /// <summary>Parses the packet; returns None on success, or why the packet must be dropped. Never throws.</summary>
    public static FilterReason Parse(ReadOnlySpan<byte> packet, out ParsedPacket parsed)
    {
        parsed = default;
        if (!IpHeader.TryReadPacket(packet, out var ip))
        {
            return FilterReason.Malformed;
        }

        if (!ReadNetwork(ip, ref parsed, out var offset, out var fragment))
        {
            return FilterReason.Malformed;
        }

        if (fragment)
        {
            return FilterReason.Fragment;
        }

        return ParseTransport(ip.Packet[offset..], ref parsed);
    }

    private static bool ReadNetwork(in IpHeader ip, ref ParsedPacket parsed, out int offset, out bool fragment)
    {
        if (!ip.TryFindTransport(out parsed.Protocol, out offset, out fragment))
        {
            return false;
        }

        parsed.IsIPv6 = ip.IsIPv6;
        parsed.Source = ToNumber(ip.Source);
        parsed.Destination = ToNumber(ip.Destination);
        return true;
    }

    private static UInt128 ToNumber(ReadOnlySpan<byte> address) =>
        address.Length == 16 ? BinaryPrimitives.ReadUInt128BigEndian(address) : BinaryPrimitives.ReadUInt32BigEndian(address);

    private static FilterReason ParseTransport(ReadOnlySpan<byte> l4, ref ParsedPacket parsed)
    {
        switch (parsed.Protocol)
        {
            case IpProtocol.Tcp:
                if (!TcpHeader.TryRead(l4, out var tcp))
                {
                    return FilterReason.Malformed;
                }

                parsed.SourcePort = tcp.SourcePort;
                parsed.DestinationPort = tcp.DestinationPort;
                parsed.Sequence = tcp.Sequence;
                parsed.Acknowledgment = tcp.Acknowledgment;
                parsed.TcpFlags = tcp.Flags;
                parsed.PayloadLength = tcp.PayloadLength;
                return FilterReason.None;
            case IpProtocol.Udp:
                if (!UdpHeader.TryRead(l4, out var udp))
                {
                    return FilterReason.Malformed;
                }

                parsed.SourcePort = udp.SourcePort;
                parsed.DestinationPort = udp.DestinationPort;
                return FilterReason.None;
            default:
                return parsed.IsIcmp ? ParseIcmp(l4, ref parsed) : FilterReason.None;
        }
    }

    private static FilterReason ParseIcmp(ReadOnlySpan<byte> l4, ref ParsedPacket parsed)
    {
        if (!IcmpHeader.TryRead(l4, out var icmp))
        {
            return FilterReason.Malformed;
        }

        parsed.IcmpMessage = Classify(parsed.IsIPv6, icmp.Type);
        if (parsed.IcmpMessage is IcmpKind.EchoRequest or IcmpKind.EchoReply)
        {
            parsed.SourcePort = parsed.DestinationPort = icmp.Identifier;
        }
        else if (parsed.IcmpMessage == IcmpKind.Error)
        {
            ParseEmbedded(icmp.Body, ref parsed);
        }

        return FilterReason.None;
    }

    private static IcmpKind Classify(bool isIPv6, byte type) => (isIPv6, type) switch
    {
        (false, 8) or (true, 128) => IcmpKind.EchoRequest,
        (false, 0) or (true, 129) => IcmpKind.EchoReply,

        // Destination unreachable, time exceeded, parameter problem (RFC 792); for ICMPv6 (RFC 4443)
        // also packet too big, which path MTU discovery through the tunnel depends on.
        (false, 3 or 11 or 12) or (true, 1 or 2 or 3 or 4) => IcmpKind.Error,
        _ => IcmpKind.Other,
    };

    // The quoted packet is often truncated; only its addresses and the first 8 transport bytes matter.
    private static void ParseEmbedded(ReadOnlySpan<byte> inner, ref ParsedPacket parsed)
    {
        var quoted = default(ParsedPacket);
        if (!IpHeader.TryRead(inner, out var ip) || !ReadNetwork(ip, ref quoted, out var offset, out var fragment) || fragment ||
            quoted.IsIPv6 != parsed.IsIPv6 || inner.Length - offset < QuotedTransportBytes)
        {
            return;
        }

        var l4 = inner[offset..];
        if (quoted.Protocol is IpProtocol.Tcp or IpProtocol.Udp)
        {
            quoted.SourcePort = TransportPorts.Source(l4);
            quoted.DestinationPort = TransportPorts.Destination(l4);
        }
        else if (quoted.IsIcmp && IcmpHeader.TryRead(l4, out var echo) && echo.Type is 8 or 0 or 128 or 129)
        {
            quoted.SourcePort = quoted.DestinationPort = echo.Identifier;
        }
        else
        {
            return;
        }

        parsed.HasEmbedded = true;
        parsed.EmbeddedProtocol = quoted.Protocol;
        parsed.EmbeddedSource = quoted.Source;
        parsed.EmbeddedDestination = quoted.Destination;
        parsed.EmbeddedSourcePort = quoted.SourcePort;
        parsed.EmbeddedDestinationPort = quoted.DestinationPort;
    }
}
