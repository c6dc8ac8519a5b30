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
    // IPv6 extension headers (RFC 8200 section 4) that may precede the transport header.
    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte Fragment = 44;
    private const byte AuthenticationHeader = 51;
    private const byte DestinationOptions = 60;
    private const int MaxExtensionHeaders = 8;

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
        var length = IpPacket.DeclaredLength(packet);
        if (length < 0)
        {
            return FilterReason.Malformed;
        }

        packet = packet[..length];
        var reason = ParseNetwork(packet, ref parsed, out var offset, out var fragment);
        if (reason != FilterReason.None)
        {
            return reason;
        }

        if (fragment)
        {
            return FilterReason.Fragment;
        }

        return ParseTransport(packet[offset..], ref parsed);
    }

    private static FilterReason ParseNetwork(ReadOnlySpan<byte> packet, ref ParsedPacket parsed, out int offset, out bool fragment)
    {
        fragment = false;
        offset = 0;
        if (packet.Length < 1)
        {
            return FilterReason.Malformed;
        }

        if (packet[0] >> 4 == 4)
        {
            if (packet.Length < IpPacket.IPv4HeaderMin)
            {
                return FilterReason.Malformed;
            }

            offset = (packet[0] & 0x0F) * 4;
            if (offset < IpPacket.IPv4HeaderMin || offset > packet.Length)
            {
                return FilterReason.Malformed;
            }

            // More-fragments flag or a non-zero offset (RFC 791): the transport header is not all here.
            fragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0;
            parsed.Protocol = packet[9];
            parsed.Source = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
            parsed.Destination = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
            return FilterReason.None;
        }

        if (packet[0] >> 4 != 6 || packet.Length < IpPacket.IPv6HeaderSize)
        {
            return FilterReason.Malformed;
        }

        parsed.IsIPv6 = true;
        parsed.Source = BinaryPrimitives.ReadUInt128BigEndian(packet[8..]);
        parsed.Destination = BinaryPrimitives.ReadUInt128BigEndian(packet[24..]);
        var next = packet[6];
        offset = IpPacket.IPv6HeaderSize;
        for (var i = 0; i <= MaxExtensionHeaders; i++)
        {
            switch (next)
            {
                case HopByHop or Routing or DestinationOptions or AuthenticationHeader:
                    if (i == MaxExtensionHeaders || offset + 8 > packet.Length)
                    {
                        return FilterReason.Malformed;
                    }

                    var size = next == AuthenticationHeader ? (packet[offset + 1] + 2) * 4 : (packet[offset + 1] + 1) * 8;
                    next = packet[offset];
                    offset += size;
                    if (offset > packet.Length)
                    {
                        return FilterReason.Malformed;
                    }

                    continue;
                case Fragment:
                    fragment = true;
                    parsed.Protocol = next;
                    return FilterReason.None;
                default:
                    parsed.Protocol = next;
                    return FilterReason.None;
            }
        }

        return FilterReason.Malformed;
    }

    private static FilterReason ParseTransport(ReadOnlySpan<byte> l4, ref ParsedPacket parsed)
    {
        switch (parsed.Protocol)
        {
            case IpProtocol.Tcp:
                if (l4.Length < 20)
                {
                    return FilterReason.Malformed;
                }

                var dataOffset = (l4[12] >> 4) * 4;
                if (dataOffset < 20 || dataOffset > l4.Length)
                {
                    return FilterReason.Malformed;
                }

                parsed.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                parsed.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                parsed.Sequence = BinaryPrimitives.ReadUInt32BigEndian(l4[4..]);
                parsed.Acknowledgment = BinaryPrimitives.ReadUInt32BigEndian(l4[8..]);
                parsed.TcpFlags = l4[13];
                parsed.PayloadLength = l4.Length - dataOffset;
                return FilterReason.None;
            case IpProtocol.Udp:
                if (l4.Length < 8)
                {
                    return FilterReason.Malformed;
                }

                int udpLength = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                if (udpLength < 8 || udpLength > l4.Length)
                {
                    return FilterReason.Malformed;
                }

                parsed.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                parsed.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                return FilterReason.None;
            default:
                return parsed.IsIcmp ? ParseIcmp(l4, ref parsed) : FilterReason.None;
        }
    }

    private static FilterReason ParseIcmp(ReadOnlySpan<byte> l4, ref ParsedPacket parsed)
    {
        if (l4.Length < 8)
        {
            return FilterReason.Malformed;
        }

        var type = l4[0];
        parsed.IcmpMessage = (parsed.IsIPv6, type) switch
        {
            (false, 8) or (true, 128) => IcmpKind.EchoRequest,
            (false, 0) or (true, 129) => IcmpKind.EchoReply,

            // Destination unreachable, time exceeded, parameter problem (RFC 792); for ICMPv6 (RFC 4443)
            // also packet too big, which path MTU discovery through the tunnel depends on.
            (false, 3 or 11 or 12) or (true, 1 or 2 or 3 or 4) => IcmpKind.Error,
            _ => IcmpKind.Other,
        };

        if (parsed.IcmpMessage is IcmpKind.EchoRequest or IcmpKind.EchoReply)
        {
            parsed.SourcePort = parsed.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
        }
        else if (parsed.IcmpMessage == IcmpKind.Error)
        {
            ParseEmbedded(l4[8..], ref parsed);
        }

        return FilterReason.None;
    }

    // The quoted packet is often truncated; only its addresses and the first 8 transport bytes matter.
    private static void ParseEmbedded(ReadOnlySpan<byte> inner, ref ParsedPacket parsed)
    {
        var quoted = default(ParsedPacket);
        if (ParseNetwork(inner, ref quoted, out var offset, out var fragment) != FilterReason.None || fragment ||
            quoted.IsIPv6 != parsed.IsIPv6 || inner.Length - offset < 8)
        {
            return;
        }

        var l4 = inner[offset..];
        if (quoted.Protocol is IpProtocol.Tcp or IpProtocol.Udp)
        {
            quoted.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            quoted.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
        }
        else if (quoted.IsIcmp && l4[0] is 8 or 0 or 128 or 129)
        {
            quoted.SourcePort = quoted.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
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
